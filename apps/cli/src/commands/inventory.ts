/**
 * `ipckit ls` and `ipckit clean`: what ipckit objects exist on this machine,
 * and removing the ones a crashed process left behind (and nothing else).
 */
import type { Context } from '../context.js';
import { EXIT } from '../exit.js';
import { printable } from '../escape.js';
import { formatBytes, table } from '../format.js';
import { removeIfStale, scan, type IpcObject, type ObjectState } from '../objects.js';
import type { Styles } from '../style.js';

/** Options of `ls` and `clean`. */
export interface InventoryOptions {
  json: boolean;
  /** Show each object's path. */
  long?: boolean;
  /** `clean`: say what would be removed, remove nothing. */
  dryRun?: boolean;
  /** Only objects whose name or address matches one of these (`*` matches any run of characters). */
  patterns?: string[];
}

/** Whether `o` is one of those `patterns` names (all when there are none). */
export function matches(o: IpcObject, patterns: string[] | undefined): boolean {
  if (patterns === undefined || patterns.length === 0) return true;
  return patterns.some((p) => {
    // `*` matches any run of characters, newlines included (a planted name may hold one).
    const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
    // The name as the OS has it (ipckit.x for the listener of shm://x), the address, or the address's name.
    return [o.name, o.address, o.address?.replace(/^[a-z]+:\/\//, '')].some((candidate) => candidate !== undefined && re.test(candidate));
  });
}

function paintState(state: ObjectState, style: Styles): string {
  switch (state) {
    case 'live':
      return style.green(state);
    case 'stale':
      return style.red(state);
    case 'kept':
      return style.cyan(state);
    default:
      return style.yellow(state);
  }
}

/** The object without its internal fields, for JSON. */
function publicView(o: IpcObject): Omit<IpcObject, 'shm'> {
  const { shm: _shm, ...rest } = o;
  return rest;
}

/** Lists the objects: a table, or with `--json` one JSON document. */
export async function lsCommand(ctx: Context, options: InventoryOptions): Promise<number> {
  const scanned = await scan();
  const objects = scanned.objects.filter((o) => matches(o, options.patterns));
  const notes = scanned.notes;
  if (options.json) {
    ctx.print(JSON.stringify({ objects: objects.map(publicView), notes }, null, 2));
    return EXIT.OK;
  }
  const style = ctx.outStyle;
  if (objects.length === 0) ctx.print('no ipckit objects');
  else {
    const header = ['KIND', 'NAME', 'STATE', 'PID', 'USER', 'SIZE', ...(options.long ? ['PATH'] : []), 'NOTE'].map((h) => style.bold(h));
    const rows = objects.map((o) => [
      o.kind,
      // Names, paths, user names and notes come from the OS (another user's file names among them): escaped.
      printable(o.address ?? o.name),
      paintState(o.state, style),
      o.pid === undefined ? '-' : String(o.pid),
      printable(o.user ?? (o.uid === undefined ? '-' : String(o.uid))),
      o.size === undefined ? '-' : formatBytes(o.size),
      ...(options.long ? [printable(o.path)] : []),
      style.dim(printable(o.note ?? '')),
    ]);
    ctx.print(table(header, rows));
    const stale = objects.filter((o) => o.state === 'stale').length;
    if (stale > 0) ctx.print(style.dim(`${stale} stale: \`ipckit clean\` removes ${stale === 1 ? 'it' : 'them'}`));
  }
  for (const note of notes) ctx.note(printable(note));
  return EXIT.OK;
}

/** Removes the stale objects, each checked again just before; prints what it removed. */
export async function cleanCommand(ctx: Context, options: InventoryOptions): Promise<number> {
  const scanned = await scan();
  const objects = scanned.objects.filter((o) => matches(o, options.patterns));
  const notes = scanned.notes;
  const removed: IpcObject[] = [];
  const kept: IpcObject[] = [];
  for (const object of objects.filter((o) => o.state === 'stale')) {
    if (options.dryRun === true || (await removeIfStale(object))) removed.push(object);
    else kept.push(object);
  }
  if (options.json) {
    ctx.print(JSON.stringify({ dryRun: options.dryRun === true, removed: removed.map(publicView), notRemoved: kept.map(publicView), notes }, null, 2));
    return EXIT.OK;
  }
  const verb = options.dryRun === true ? 'would remove' : 'removed';
  for (const o of removed) ctx.print(`${verb} ${o.kind} ${printable(o.address ?? o.name)} (${printable(o.path)})`);
  for (const o of kept) ctx.print(`left ${o.kind} ${printable(o.address ?? o.name)}: no longer provably stale`);
  if (removed.length === 0 && kept.length === 0) ctx.print('nothing stale');
  for (const note of notes) ctx.note(printable(note));
  return EXIT.OK;
}
