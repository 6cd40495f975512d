/**
 * Text that came from the OS or from another user's bytes (file names in
 * /dev/shm and the socket directory, names inside a control region, user
 * names), made safe to print on a terminal: every control character (C0,
 * DEL, C1) and every invisible direction override becomes a visible escape
 * (`\x1b`, `\n`, `\u{202e}`), so a planted name cannot retitle or clear the
 * terminal, move the cursor, or start a forged table row. Issue 17 §4.
 */
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// eslint-disable-next-line no-control-regex -- these are exactly what must not reach the terminal raw
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** `text` with every character that could steer a terminal shown as an escape instead. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
  });
}
