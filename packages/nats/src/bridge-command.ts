/**
 * `ipckit bridge FROM TO`: the command around {@link bridge}, as a module the
 * CLI calls (`runBridgeCommand(argv)`), so that the command and the function
 * cannot drift apart. Credentials come from environment variables named on
 * the command line, never from the command line itself (which `ps` shows).
 */
import { IpcError } from '@ipckit/core';
import { bridge, type BridgeEvent } from './bridge.js';
import { bridgeTopic, type TopicBridgeEvent } from './bridge-topic.js';

/** Where the command writes: one JSON line per event on `out`, problems on `err`. */
export interface BridgeCommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the command should stop (default: SIGINT or SIGTERM). */
  stopped?: Promise<void>;
}

/** The command's usage text. */
export const BRIDGE_USAGE = `usage: ipckit bridge FROM TO [options]

Serves FROM and relays every channel to a new channel on TO, both ways.
  machine A: ipckit bridge pipe://inventory nats://hub:4222/inventory
  machine B: ipckit bridge nats://hub:4222/inventory shm://inventory

options (for the nats:// side; credentials are read from the environment):
  --user NAME            user name
  --pass-env VAR         password from environment variable VAR
  --token-env VAR        token from environment variable VAR
  --nkey-seed-env VAR    nkey seed from environment variable VAR
  --servers A,B          more servers of the NATS cluster
  --shared               join other bridges serving the same nats:// service (a queue group)
  --topic                relay a topic instead: subscribe to FROM, publish every message on TO
  --quiet                print only the final counts`;

interface Parsed {
  from: string;
  to: string;
  nats: Record<string, unknown>;
  shared: boolean;
  topic: boolean;
  quiet: boolean;
}

function fromEnv(env: NodeJS.ProcessEnv, variable: string | undefined, flag: string): string {
  if (!variable) throw new IpcError('EINVAL', `${flag} needs the name of an environment variable`);
  const value = env[variable];
  if (value === undefined || value === '') throw new IpcError('EINVAL', `${flag}: the environment variable ${variable} is not set`);
  return value;
}

/** Parses the command's arguments (after `bridge`); IpcError EINVAL for anything else. */
export function parseBridgeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  const positional: string[] = [];
  const nats: Record<string, unknown> = {};
  let shared = false;
  let topic = false;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    switch (arg) {
      case '--user':
        nats.user = value();
        if (!nats.user) throw new IpcError('EINVAL', '--user needs a name');
        break;
      case '--pass-env':
        nats.pass = fromEnv(env, value(), arg);
        break;
      case '--token-env':
        nats.token = fromEnv(env, value(), arg);
        break;
      case '--nkey-seed-env':
        nats.nkeySeed = fromEnv(env, value(), arg);
        break;
      case '--servers':
        nats.servers = (value() ?? '').split(',').filter(Boolean);
        break;
      case '--shared':
        shared = true;
        break;
      case '--topic':
        topic = true;
        break;
      case '--quiet':
        quiet = true;
        break;
      default:
        if (arg.startsWith('--')) throw new IpcError('EINVAL', `unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length !== 2) throw new IpcError('EINVAL', `bridge needs FROM and TO, got ${positional.length} addresses`);
  if (topic && shared) throw new IpcError('EINVAL', '--shared is for channels; a topic has one publisher');
  return { from: positional[0] as string, to: positional[1] as string, nats, shared, topic, quiet };
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function eventLine(event: BridgeEvent | TopicBridgeEvent): string {
  if ('error' in event && event.error) return JSON.stringify({ ...event, error: { code: event.error.code, message: event.error.message } });
  return JSON.stringify(event);
}

/**
 * Runs `ipckit bridge` with `argv` (the arguments after `bridge`): prints
 * `{"type":"ready","from":...,"to":...}`, then one JSON line per event
 * (unless --quiet), and on SIGINT/SIGTERM closes and prints the counts
 * (`{"type":"stopped",...stats}`). Returns the exit code: 0, or 2 for bad
 * arguments, 1 when FROM cannot be served.
 */
export async function runBridgeCommand(argv: readonly string[], io: Partial<BridgeCommandIo> = {}): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (argv.includes('--help') || argv.includes('-h')) {
    out(BRIDGE_USAGE);
    return 0;
  }
  let parsed: Parsed;
  try {
    parsed = parseBridgeArgs(argv, io.env ?? process.env);
  } catch (error) {
    err(`ipckit bridge: ${error instanceof Error ? error.message : String(error)}\n${BRIDGE_USAGE}`);
    return 2;
  }
  const natsOptions = (address: string): Record<string, unknown> => (address.startsWith('nats://') ? parsed.nats : {});
  const stopped = io.stopped ?? stopSignal();
  let running: { readonly stats: object; readonly done: Promise<void>; close(): Promise<void> };
  let name = parsed.from;
  try {
    if (parsed.topic) {
      running = await bridgeTopic(parsed.from, parsed.to, {
        subscribe: natsOptions(parsed.from),
        publish: natsOptions(parsed.to),
        ...(parsed.quiet ? {} : { onEvent: (event: TopicBridgeEvent) => out(eventLine(event)) }),
      });
    } else {
      const relay = await bridge(parsed.from, parsed.to, {
        listen: { ...natsOptions(parsed.from), ...(parsed.shared ? { shared: true } : {}) },
        connect: natsOptions(parsed.to),
        ...(parsed.quiet ? {} : { onEvent: (event: BridgeEvent) => out(eventLine(event)) }),
      });
      name = relay.listener.name;
      running = relay;
    }
  } catch (error) {
    // The message names the address and the code, never the credentials (they are options, not part of it).
    err(
      `ipckit bridge: cannot ${parsed.topic ? 'publish' : 'serve'} ${parsed.topic ? parsed.to : parsed.from}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  out(JSON.stringify({ type: 'ready', from: parsed.from, to: parsed.to, name, topic: parsed.topic }));
  await Promise.race([stopped, running.done.catch(() => undefined)]);
  await running.close();
  out(JSON.stringify({ type: 'stopped', ...running.stats }));
  return 0;
}
