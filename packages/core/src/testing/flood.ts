import type { NetConnectOpts } from 'node:net';
import { PeerProcess, type PeerProcessOptions } from './peer-process.js';

/**
 * A flood of connections from a separate process, for the flood limits of
 * Rule 5: `count` sockets connect to `target` and hold. With `announce`, each
 * sends a frame header announcing that many bytes, then `send` bytes of its
 * body, and never the rest (a half-sent frame, slowloris). It prints
 * `{"event":"connected","count":n}` once every socket connected (or failed),
 * and `{"event":"closed","closed":n}` each time one is closed, by either
 * side. It exits when its stdin ends.
 */
const FLOOD = `
import net from 'node:net';
const [target, countText, announceText, sendText] = process.argv.slice(1);
const options = JSON.parse(target);
const count = Number(countText);
const announce = Number(announceText);
const send = Number(sendText);
let settled = 0;
let closed = 0;
const settle = () => {
  if (++settled === count) console.log(JSON.stringify({ event: 'connected', count }));
};
for (let i = 0; i < count; i++) {
  const socket = net.connect(options);
  let counted = false;
  socket.on('connect', () => {
    counted = true;
    settle();
    if (announce > 0) {
      const header = Buffer.alloc(4);
      header.writeUInt32LE(announce, 0);
      socket.write(header);
      if (send > 0) socket.write(Buffer.alloc(send, 7));
    }
  });
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (!counted) settle();
    counted = true;
    console.log(JSON.stringify({ event: 'closed', closed: ++closed }));
  });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** What each connection of a {@link floodPeer} sends. */
export interface FloodShape {
  /** How many connections. */
  count: number;
  /** The length announced by one frame header each sends; 0: they send nothing (held idle). */
  announce?: number;
  /** Bytes of that frame's body each sends (fewer than announced: a frame left half-sent). */
  send?: number;
}

/**
 * Starts a process that opens `shape.count` connections to `target` (the
 * options of node:net's connect: `{ host, port }` or `{ path }`) and holds
 * them idle or half-sent. Wait for its "closed" events to see the listener
 * close them; end its input (or kill it) to drop the rest.
 */
export function floodPeer(target: NetConnectOpts, shape: FloodShape, options: PeerProcessOptions = {}): PeerProcess {
  const args = [JSON.stringify(target), String(shape.count), String(shape.announce ?? 0), String(shape.send ?? 0)];
  return PeerProcess.module(FLOOD, args, { label: 'flood peer', ...options });
}
