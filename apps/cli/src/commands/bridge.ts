/**
 * `ipckit bridge [--topic] FROM TO`: relay a local address to a nats://
 * one (or back), the command of @ipckit/nats (`runBridgeCommand`), so the
 * command and the `bridge()` function cannot drift apart. It writes one
 * JSON line per event on stdout and stops on Ctrl-C or SIGTERM. docs/nats.md.
 */
import { aborted, type Context } from '../context.js';

/** Runs the bridge with `args` (everything after `bridge`); resolves with its exit code. */
export async function bridgeCommand(ctx: Context, args: readonly string[]): Promise<number> {
  const { runBridgeCommand } = await import('@ipckit/nats');
  return runBridgeCommand(args, {
    out: (line) => ctx.out.write(`${line}\n`),
    err: (line) => ctx.err.write(`${line}\n`),
    env: process.env,
    stopped: aborted(ctx.signal),
  });
}
