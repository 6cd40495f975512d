// `ipckit ls --watch` (issue 19 §3): discover() from the command line, against real listeners,
// each an `ipckit listen` of its own; a line (or a JSON line) per event in a pipe, a redrawn table
// in a real terminal (tmux, tools/terminal.mjs). Ctrl-C ends it with 130, SIGTERM with 0. Every
// wait is for an event, with a generous watchdog; no timing is asserted.
import { describe, expect, it } from 'vitest';
import { Terminal } from '../../../tools/terminal.mjs';
import { BIN, listening, runCli, startCli, stop, uniqueName } from './helpers.js';

const WATCHDOG_MS = 60_000;

interface EventLine {
  type: string;
  time: string;
  service: { kind: string; name: string; address?: string; state: string; pid?: number };
}

/** The JSON event lines a `ls --watch --json` printed so far. */
const jsonEvents = (lines: readonly string[]): EventLine[] => lines.map((l) => JSON.parse(l) as EventLine);

describe.runIf(process.platform === 'linux')('ipckit ls --watch', () => {
  it('--json: a JSON line per event; a listener appears, goes when killed (SIGKILL); SIGTERM ends it with 0', async () => {
    const name = uniqueName('lsw');
    const watch = startCli(['ls', '--watch', '--json', '--interval', '100', `${name}-*`]);
    try {
      const pipe = startCli(['listen', `pipe://${name}-pipe`]);
      const shm = startCli(['listen', `shm://${name}-shm`]);
      await listening(pipe);
      await listening(shm);
      const appeared = (address: string) => (line: string) => {
        const e = JSON.parse(line) as EventLine;
        return e.type === 'appeared' && e.service.address === address;
      };
      await watch.waitForLine(appeared(`pipe://${name}-pipe`), WATCHDOG_MS);
      await watch.waitForLine(appeared(`shm://${name}-shm`), WATCHDOG_MS);
      const pipeEvent = jsonEvents(watch.lines).find((e) => e.service.address === `pipe://${name}-pipe`);
      expect(pipeEvent).toMatchObject({ type: 'appeared', service: { kind: 'pipe', state: 'live', pid: pipe.child.pid } });
      expect(Number.isNaN(Date.parse(pipeEvent?.time ?? ''))).toBe(false);

      for (const p of [pipe, shm]) {
        p.child.kill('SIGKILL');
        await p.exit();
      }
      const gone = (address: string) => (line: string) => {
        const e = JSON.parse(line) as EventLine;
        return e.type === 'gone' && e.service.address === address;
      };
      const pipeGone = JSON.parse(await watch.waitForLine(gone(`pipe://${name}-pipe`), WATCHDOG_MS)) as EventLine;
      expect(pipeGone.service.state).toBe('stale');
      await watch.waitForLine(gone(`shm://${name}-shm`), WATCHDOG_MS);
      expect(watch.ended).toBe(false);
    } finally {
      expect(await stop(watch, 'SIGTERM')).toBe(0);
      await runCli(['clean', `${name}-*`]);
    }
    // Nothing but events on stdout, each a whole JSON line.
    for (const e of jsonEvents(watch.lines)) expect(['appeared', 'changed', 'gone']).toContain(e.type);
  }, 180_000);

  it('in a pipe: a line per event; Ctrl-C (SIGINT) ends it with 130', async () => {
    const name = uniqueName('lsw');
    const watch = startCli(['ls', '--watch', `${name}-*`]);
    const slot = startCli(['listen', `mailslot://${name}-slot`]);
    try {
      await listening(slot);
      const line = await watch.waitForLine(/ appeared +mailslot +mailslot:\/\//, WATCHDOG_MS);
      expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} appeared +mailslot +mailslot://${name}-slot live pid ${slot.child.pid}$`));
      await stop(slot);
      await watch.waitForLine(new RegExp(` gone +mailslot +mailslot://${name}-slot `), WATCHDOG_MS);
    } finally {
      await stop(slot);
      expect(await stop(watch, 'SIGINT')).toBe(130);
    }
  }, 180_000);

  it('refuses --interval out of range or without --watch (usage, exit 2)', async () => {
    for (const args of [
      ['ls', '--interval', '100'],
      ['ls', '--watch', '--interval', '5'],
      ['ls', '--watch', '--interval', 'soon'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^ipckit: EINVAL: .*--interval/m);
    }
  });

  it('in a terminal: a table redrawn after each look, a killed listener leaves it; Ctrl-C ends it with 130', async () => {
    const name = uniqueName('lsw-tty');
    const pipe = startCli(['listen', `pipe://${name}-pipe`]);
    await listening(pipe);
    const term = Terminal.start(`'${process.execPath}' '${BIN}' ls --watch '${name}-*'`, { env: { NO_COLOR: '1' } });
    /** What the latest redraw shows: the screen from the last table header on. */
    const lastFrame = (): string => {
      const screen = term.screen();
      const at = Math.max(screen.lastIndexOf('KIND'), screen.lastIndexOf('no ipckit services'));
      return at < 0 ? '' : screen.slice(at);
    };
    /** Waits for a redraw that passes `test` (the watchdog is generous, and says what the screen showed). */
    const until = async (what: string, test: (frame: string) => boolean): Promise<string> => {
      const deadline = Date.now() + WATCHDOG_MS;
      for (;;) {
        const frame = lastFrame();
        if (test(frame) && frame.includes('Ctrl-C ends')) return frame;
        if (Date.now() > deadline) throw new Error(`the terminal did not show ${what} within ${WATCHDOG_MS} ms; it shows:\n${term.screen()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      const shown = await until('the listener in the table', (f) => f.includes(`pipe://${name}-pipe`));
      expect(shown).toMatch(new RegExp(`^pipe +pipe://${name}-pipe +live +${pipe.child.pid} `, 'm'));
      pipe.child.kill('SIGKILL');
      await pipe.exit();
      const after = await until('the table without it', (f) => f.startsWith('no ipckit services'));
      expect(after).not.toContain(`pipe://${name}-pipe`);
      term.keys('C-c');
      expect(await term.exitCode()).toBe(130);
    } finally {
      term.close();
      await stop(pipe);
      await runCli(['clean', `${name}-*`]);
    }
  }, 180_000);
});
