/**
 * `ipckit ls` and `ipckit clean`: what ipckit objects exist on this machine,
 * and removing the ones a crashed process left behind (and nothing else);
 * `ipckit ls --watch`: the services as they appear and go (discover()).
 */
import { isIpcError } from '@ipckit/core';
import type { Context } from '../context.js';
import { DEFAULT_DISCOVER_INTERVAL_MS, discover, type DiscoveryEvent, type Service } from '../discover.js';
import { EXIT } from '../exit.js';
import { printable } from '../escape.js';
import { formatBytes, table } from '../format.js';
import { matches, publicView, removeIfStale, scan, type IpcObject, type ObjectState, type PublicObject } from '../objects.js';
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
  /** `ls --watch`: milliseconds between looks. */
  intervalMs?: number;
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

/** The objects as `ls` prints them: a header and a row each, everything that came from the OS escaped. */
function objectTable(objects: readonly PublicObject[], options: InventoryOptions, style: Styles): string {
  const header = ['KIND', 'NAME', 'STATE', 'PID', 'USER', 'SIZE', ...(options.long === true ? ['PATH'] : []), 'NOTE'].map((h) => style.bold(h));
  const rows = objects.map((o) => [
    o.kind,
    // Names, paths, user names and notes come from the OS (another user's file names among them): escaped.
    printable(o.address ?? o.name),
    paintState(o.state, style),
    o.pid === undefined ? '-' : String(o.pid),
    printable(o.user ?? (o.uid === undefined ? '-' : String(o.uid))),
    o.size === undefined ? '-' : formatBytes(o.size),
    ...(options.long === true ? [printable(o.path)] : []),
    style.dim(printable(noteOf(o))),
  ]);
  return table(header, rows);
}

/** The NOTE column: the object's note, and a watched topic's message rate. */
function noteOf(o: PublicObject): string {
  const rate = o.topic?.messageRate;
  return [o.note, rate === undefined ? undefined : `${rate} msg/s`].filter((part) => part !== undefined && part !== '').join(', ');
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
    ctx.print(objectTable(objects, options, style));
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

/** One event as a line: time, what happened, the service (everything from the OS escaped). */
function eventLine(event: DiscoveryEvent, style: Styles, long: boolean): string {
  const o = event.service;
  const what =
    event.type === 'gone'
      ? style.red(event.type.padEnd(8))
      : event.type === 'appeared'
        ? style.green(event.type.padEnd(8))
        : style.yellow(event.type.padEnd(8));
  const parts = [
    new Date().toISOString().slice(11, 23),
    what,
    o.kind.padEnd(9),
    printable(o.address ?? o.name),
    paintState(o.state, style),
    `pid ${o.pid ?? '-'}`,
    ...(long ? [printable(o.path)] : []),
  ];
  const note = noteOf(o);
  if (note !== '') parts.push(style.dim(printable(note)));
  return parts.join(' ');
}

/**
 * `ls --watch`: the services as discover() reports them until Ctrl-C (exit
 * 130) or SIGTERM (exit 0). A line per event; on a terminal a table redrawn
 * after each look; with `--json` a JSON line per event (`{ type, service, time }`).
 */
export async function watchCommand(ctx: Context, options: InventoryOptions): Promise<number> {
  const style = ctx.outStyle;
  const redraw = !options.json && (ctx.out as { isTTY?: boolean }).isTTY === true;
  // On a terminal the table shows rates, so a topic's traffic counts as a change there.
  const watch = discover({
    names: options.patterns ?? [],
    traffic: redraw,
    signal: ctx.signal,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  const current = new Map<string, Service>();
  const told = new Set<string>();
  /** Says on stderr each note of the latest look not said yet. */
  const tell = (): void => {
    for (const note of watch.notes) {
      if (told.has(note)) continue;
      told.add(note);
      ctx.note(printable(note));
    }
  };
  let drawing: NodeJS.Immediate | undefined;
  let heard = false;
  const draw = (): void => {
    drawing = undefined;
    const services = [...current.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const body = services.length > 0 ? objectTable(services, options, style) : heard ? 'no ipckit services' : 'no ipckit services seen yet';
    const notes = watch.notes.map((n) => style.dim(`ipckit: ${printable(n)}`));
    // Home, clear the screen, then the table: the events of one look make one redraw.
    ctx.out.write(
      `\u001b[H\u001b[2J${body}\n\n${style.dim(`watching every ${options.intervalMs ?? DEFAULT_DISCOVER_INTERVAL_MS} ms; Ctrl-C ends`)}\n${notes.join('\n')}${notes.length > 0 ? '\n' : ''}`,
    );
  };
  if (redraw) draw();
  try {
    for await (const event of watch) {
      if (redraw) {
        heard = true;
        const key = `${event.service.kind}\u0000${event.service.path}`;
        if (event.type === 'gone') current.delete(key);
        else current.set(key, event.service);
        drawing ??= setImmediate(draw);
        continue;
      }
      tell();
      ctx.print(options.json ? JSON.stringify({ ...event, time: new Date().toISOString() }) : eventLine(event, style, options.long === true));
    }
  } catch (error) {
    if (!(ctx.signal.aborted && isIpcError(error) && error.code === 'ECANCELED')) throw error;
  } finally {
    if (drawing !== undefined) {
      clearImmediate(drawing);
      draw();
    }
    // What could not be seen, also when nothing was (no event came to tell it with).
    if (!redraw) tell();
  }
  // Ctrl-C interrupts (130, as `connect`); SIGTERM is the way a watch is asked to end: 0.
  return ctx.signal.reason === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.OK;
}
