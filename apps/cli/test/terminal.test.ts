// The command in a real terminal (tmux, tools/terminal.mjs): a two-way session typed by hand, as
// `socat - UNIX-CONNECT:` gives one (issue 18 §1). The tty echoes what is typed; the reply is the
// listener's echo, so the line shows twice.
import { describe, expect, it } from 'vitest';
import { Terminal } from '../../../tools/terminal.mjs';
import { BIN, listening, startCli, stop, uniqueName } from './helpers.js';

describe('ipckit connect in a terminal', () => {
  it('sends each typed line, shows each reply as it comes, ends on Ctrl-D with exit 0', async () => {
    const listener = startCli(['listen', `pipe://${uniqueName('tty')}`, '--echo']);
    const at = await listening(listener);
    const term = Terminal.start(`'${process.execPath}' '${BIN}' connect ${at}`, { env: { NO_COLOR: '1' } });
    try {
      await term.waitFor(/connected to pipe:\/\//);
      term.type('hello from a terminal');
      term.keys('Enter');
      // Typed (echoed by the tty), then the reply.
      await term.waitFor(/hello from a terminal\n(?:.*\n)*?hello from a terminal/);
      await listener.waitForLine('hello from a terminal');
      term.type('second');
      term.keys('Enter');
      await term.waitFor(/second\nsecond/);
      term.keys('C-d');
      expect(await term.exitCode()).toBe(0);
      await listener.waitForLine('second');
      expect(listener.lines).toEqual(['hello from a terminal', 'second']);
    } finally {
      term.close();
      await stop(listener);
    }
  });

  it('Ctrl-C ends a session at once (exit 130) and the listener goes on', async () => {
    const listener = startCli(['listen', `shm://${uniqueName('tty')}`, '--echo']);
    const at = await listening(listener);
    const term = Terminal.start(`'${process.execPath}' '${BIN}' connect ${at}`, { env: { NO_COLOR: '1' } });
    try {
      await term.waitFor(/connected to shm:\/\//);
      term.keys('C-c');
      expect(await term.exitCode()).toBe(130);
      expect(listener.ended).toBe(false);
    } finally {
      term.close();
      await stop(listener);
    }
  });
});
