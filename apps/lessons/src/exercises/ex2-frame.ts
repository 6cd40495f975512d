/**
 * Lesson 2, exercise: speak ipckit's framing by hand. `connectStream` gives the raw byte stream of a
 * pipe:// name (a Node net.Socket); write one frame, a 4-byte little-endian length and the bytes, and
 * read the reply frame back, however the stream cuts it into chunks.
 *
 *   node dist/exercises/ex2-frame.js <pipe name> <text>
 */
import { connectStream } from '@ipckit/named-pipe';
import { arg, decode, encode, say } from '../common/say.js';

const [name, text] = [arg(0, 'pipe name'), arg(1, 'text')];

// #region solution
const socket = await connectStream(name);
const payload = encode(text);
const frame = new Uint8Array(4 + payload.length);
new DataView(frame.buffer).setUint32(0, payload.length, true); // little-endian length
frame.set(payload, 4);
socket.write(frame);
say(`sent one frame by hand: 4 + ${String(payload.length)} bytes`);

let received = new Uint8Array(0);
for await (const chunk of socket as AsyncIterable<Uint8Array>) {
  const joined = new Uint8Array(received.length + chunk.length); // chunks fall anywhere: collect them
  joined.set(received);
  joined.set(chunk, received.length);
  received = joined;
  if (received.length < 4) continue;
  const length = new DataView(received.buffer).getUint32(0, true);
  if (received.length < 4 + length) continue;
  say(`the reply frame: 4 + ${String(length)} bytes, "${decode(received.subarray(4, 4 + length))}"`);
  break;
}
socket.destroy();
// #endregion solution
