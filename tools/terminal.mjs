// A real terminal for tests: a command run in a detached tmux session, its screen read as text,
// keys typed into it. What a user at a terminal sees (a prompt, colour, a line typed and echoed by
// the tty) only shows there, never in a pipe. tmux comes from Debian (installed through
// tools/apt.mjs when missing).
//
//   import { Terminal } from '../../../tools/terminal.mjs';
//   const term = await Terminal.start('ipckit connect pipe://demo', { cwd });
//   await term.waitFor(/connected to/);
//   term.type('hello'); term.keys('Enter'); ...; term.close();
import { spawnSync } from 'node:child_process';
import { ensurePackages } from './apt.mjs';

let counter = 0;

function tmux(args, check = true) {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A command running in a terminal of its own (a detached tmux session, 160×50). */
export class Terminal {
  /**
   * Starts `command` (a shell command line) in a new terminal. When it ends, the terminal stays
   * and shows `[exit N]`, so a test can read the exit code from the screen.
   * @param {string} command
   * @param {{ cwd?: string, env?: Record<string, string> }} [options]
   * @returns {Terminal}
   */
  static start(command, { cwd = process.cwd(), env = {} } = {}) {
    ensurePackages([{ file: '/usr/bin/tmux', pkg: 'tmux' }]);
    const name = `ipckit-test-${process.pid}-${++counter}`;
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${String(v).replace(/'/g, `'\\''`)}'; `)
      .join('');
    // `-L`: a server of our own, so the test neither sees nor disturbs anyone else's sessions.
    tmux(['-L', name, 'new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', cwd, `${exports}${command}; echo "[exit $?]"; sleep 3600`]);
    return new Terminal(name);
  }

  /** @param {string} name */
  constructor(name) {
    this.name = name;
  }

  /** The screen (and its scrollback) as text. */
  screen() {
    return tmux(['-L', this.name, 'capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name]);
  }

  /** Types `text` literally (no key names). */
  type(text) {
    tmux(['-L', this.name, 'send-keys', '-l', '-t', this.name, text]);
  }

  /** Presses keys by tmux's names: 'Enter', 'C-d', 'C-c'. */
  keys(...names) {
    tmux(['-L', this.name, 'send-keys', '-t', this.name, ...names]);
  }

  /**
   * Waits until the screen matches `pattern`; returns the match. The watchdog is generous and
   * separate from what is asserted; on a timeout it says what the screen showed.
   * @param {RegExp} pattern
   * @param {number} [timeoutMs]
   */
  async waitFor(pattern, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      const match = pattern.exec(screen);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`the terminal did not show ${pattern} within ${timeoutMs} ms; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The exit code shown once the command ended (waits for it). */
  async exitCode(timeoutMs = 60_000) {
    return Number((await this.waitFor(/\[exit (\d+)\]/, timeoutMs))[1]);
  }

  /** Ends the terminal and whatever still runs in it. */
  close() {
    tmux(['-L', this.name, 'kill-server'], false);
  }
}
