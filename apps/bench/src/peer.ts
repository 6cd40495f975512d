/**
 * A benchmark peer process: `node peer.js <control port> <base64 spec>`.
 * Connects to the orchestrator's side channel, plays one role (echo, pinger,
 * reader, writer, many, solo, publisher, subscriber) of one target, and answers commands until told to exit.
 */
import { ControlClient } from './control.js';
import { atomicsPeer } from './peers/atomics.js';
import { channelPeer } from './peers/channel.js';
import { snapshot } from './peers/common.js';
import { cpPeer } from './peers/cp.js';
import { decodeSpec, type PeerSpec } from './peers/spec.js';

async function start(spec: PeerSpec, control: ControlClient, port: number): Promise<{ close(): Promise<void> }> {
  // The fan-out scenario's roles, on any target with topics (zeromq's PUB/SUB among them).
  if (spec.role === 'publisher' || spec.role === 'subscriber') {
    const { topicPeer } = await import('./peers/topics.js');
    return topicPeer(spec, control);
  }
  switch (spec.family) {
    case 'channel':
      return channelPeer(spec, control);
    case 'cp':
      return cpPeer(spec, control, port);
    case 'atomics':
      return atomicsPeer(spec, control);
    case 'shm-sync': {
      const { shmSyncPeer } = await import('./peers/shm-sync.js');
      return shmSyncPeer(spec, control);
    }
    case 'zmq': {
      const { zmqPeer } = await import('./peers/zmq.js');
      return zmqPeer(spec, control);
    }
    case 'sync': {
      const { syncPeer } = await import('./peers/sync.js');
      return syncPeer(spec, control);
    }
  }
}

async function main(): Promise<void> {
  const [portText, specText] = process.argv.slice(2);
  if (portText === undefined || specText === undefined) throw new Error('usage: peer.js <control port> <base64 spec>');
  const port = Number(portText);
  const spec = decodeSpec(specText);
  const control = await ControlClient.connect(port, spec.id);
  // Generic handlers first: a family may replace them (the Atomics echo measures its own phase).
  control.on('cpu', () => snapshot());
  control.on('begin', () => snapshot());
  control.on('end', () => snapshot());
  const role = await start(spec, control, port);
  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await role.close().catch(() => undefined);
    process.exit(code);
  };
  control.on('exit', () => {
    setImmediate(() => void exit(0));
    return snapshot();
  });
  // Without the orchestrator (or, for forked clients, without the parent) there is nothing to do.
  control.onClose(() => void exit(0));
  process.on('disconnect', () => void exit(0));
  control.hello();
}

main().catch((error: unknown) => {
  console.error(`peer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
