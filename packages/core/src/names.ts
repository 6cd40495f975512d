/** Returns a name no other process is likely to pick: prefix, pid, time and randomness. */
export function uniqueName(prefix = 'ipckit'): string {
  const random = Math.floor(Math.random() * 0x100000000).toString(36);
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${random}`;
}
