/**
 * The other half of PeerProcess, for peer scripts: they report on stdout with
 * one JSON line per event (`ready`, `done`, `error`), which
 * PeerProcess.waitForEvent() and finished() read.
 */

/** Writes one event line on stdout; resolves once written (stdout may be asynchronous, e.g. a pipe on Windows). */
export function report(event: string, extra: Record<string, unknown> = {}): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify({ event, ...extra })}\n`, () => resolve()));
}

/**
 * Runs a peer script's `main`: exits 0 when it resolves; when it throws,
 * reports `{"event": "error", "code", "message"}` and exits 1.
 */
export async function runPeer(main: () => Promise<void>): Promise<never> {
  try {
    await main();
    process.exit(0);
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown } | undefined;
    await report('error', { code: e?.code, message: String(e?.message ?? error) });
    process.exit(1);
  }
}
