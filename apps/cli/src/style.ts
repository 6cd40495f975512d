/**
 * Colour, on a terminal only: never in a pipe or a file, never with NO_COLOR
 * set (https://no-color.org) or TERM=dumb; FORCE_COLOR (not 0) forces it.
 */

/** Wraps text in one style, or returns it as it is when colour is off. */
export type Paint = (text: string) => string;

/** The styles the command uses. */
export interface Styles {
  readonly enabled: boolean;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly green: Paint;
  readonly cyan: Paint;
  readonly dim: Paint;
  readonly bold: Paint;
}

/** Whether to colour what goes to `stream`. */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

/** The styles for `stream`. */
export function stylesFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Styles {
  const enabled = colourFor(stream, env);
  const sgr =
    (open: number, close: number): Paint =>
    (text) =>
      enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return { enabled, red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}
