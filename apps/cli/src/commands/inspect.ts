/** `ipckit inspect shm://NAME`: a live channel's control region and rings, read without disturbing it. */
import { inspectChannel, type RingInfo, type RingSideInfo } from '@ipckit/shared-memory';
import { checkAddress } from '../address.js';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { printable } from '../escape.js';
import { formatBytes } from '../format.js';
import type { Styles } from '../style.js';

function sideLine(label: string, side: RingSideInfo, waitingFor: string, style: Styles): string {
  const running = side.pid === 0 ? '' : side.running ? ' running' : style.red(' not running');
  const waiting = side.waiting ? style.yellow(`, waiting for ${waitingFor}`) : '';
  return `${label} ${side.state}, pid ${side.pid}${running}${waiting}`;
}

function ringLines(label: string, ring: RingInfo, style: Styles): string[] {
  const share = ring.capacity === 0 ? 0 : (ring.inFlight / ring.capacity) * 100;
  return [
    `    ${label}: capacity ${formatBytes(ring.capacity)}, in flight ${formatBytes(ring.inFlight)} (${share.toFixed(share > 0 && share < 1 ? 2 : 0)}%)`,
    `      ${sideLine('producer', ring.producer, 'space', style)}; ${sideLine('consumer', ring.consumer, 'data', style)}`,
  ];
}

/** Prints what `shm://NAME` looks like now; `--json` as one document. */
export async function inspectCommand(ctx: Context, address: string, options: { json: boolean }): Promise<number> {
  const parsed = checkAddress(address);
  if (parsed.scheme !== 'shm') throw new UsageError(`inspect reads shared-memory channels only (shm://NAME), not ${parsed.scheme}://`);
  const info = await inspectChannel(parsed.name);
  if (options.json) {
    ctx.print(JSON.stringify(info, null, 2));
    return EXIT.OK;
  }
  const style = ctx.outStyle;
  const lines = [
    `${style.bold(printable(address))}  control region ${printable(info.controlPath)} (protocol ${info.version})`,
    `  listener: pid ${info.listenerPid}${info.listenerRunning ? ' running' : style.red(' not running')}, ${info.state === 'listening' ? style.green(info.state) : style.yellow(info.state)}, ${info.bell} request${info.bell === 1 ? '' : 's'} so far`,
  ];
  if (info.slots.length === 0) lines.push('  connecting: none');
  else {
    lines.push(`  connecting: ${info.slots.length}`);
    for (const s of info.slots) {
      lines.push(
        `    slot ${s.index}: ${s.state}, client pid ${s.clientPid}${s.clientRunning ? '' : style.red(' (not running)')}, ${formatBytes(s.capacity)} rings, pair ${printable(s.pairName)}`,
      );
    }
  }
  if (info.channels === undefined) lines.push(`  channels: ${style.dim(`unknown (${printable(info.channelsNote ?? 'not readable')})`)}`);
  else {
    lines.push(`  channels: ${info.channels.length}${info.channels.length > 0 ? ' (the pair regions the listener holds)' : ''}`);
    for (const c of info.channels) {
      lines.push(`  ${printable(c.name)}`);
      lines.push(...ringLines('client -> server', c.toServer, style), ...ringLines('server -> client', c.toClient, style));
    }
  }
  ctx.print(lines.join('\n'));
  return EXIT.OK;
}
