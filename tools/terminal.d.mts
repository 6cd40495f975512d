// Types of tools/terminal.mjs, for the TypeScript tests that use it.

/** A command running in a terminal of its own (a detached tmux session, 160×50). */
export declare class Terminal {
  /** Starts `command` (a shell command line) in a new terminal; once it ends, the screen shows `[exit N]`. */
  static start(command: string, options?: { cwd?: string; env?: Record<string, string> }): Terminal;
  readonly name: string;
  /** The screen (and its scrollback) as text. */
  screen(): string;
  /** Types `text` literally. */
  type(text: string): void;
  /** Presses keys by tmux's names: 'Enter', 'C-d', 'C-c'. */
  keys(...names: string[]): void;
  /** Waits until the screen matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The exit code shown once the command ended. */
  exitCode(timeoutMs?: number): Promise<number>;
  /** Ends the terminal and whatever still runs in it. */
  close(): void;
}
