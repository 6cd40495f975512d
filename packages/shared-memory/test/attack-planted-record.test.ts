/**
 * Issue 12, item 2: another user plants an ownership record naming a dead
 * process beside a region that has none (a native program's, or one whose
 * record is gone). ipckit must not believe it: createRegion must not replace
 * the region, and listen's sweep must not delete an `ipckit.*` region.
 */
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listen, uniqueName } from '@ipckit/core';
import { anotherUser, asAnotherUser } from '@ipckit/core/testing';
import { createRegion, openOrCreateRegion, openRegion } from '@ipckit/shared-memory';
import { CONTROL_MAGIC } from '../src/rendezvous.js';

const other = anotherUser();

/** An ownership record (see src/posix.ts) naming a process that is not running. */
function deadRecord(): Buffer {
  const record = Buffer.alloc(24);
  record.writeUInt32LE(0x4f435049, 0); // 'IPCO'
  record.writeUInt32LE(4_000_000, 4); // above pid_max: never running
  record.writeDoubleLE(1, 8);
  return record;
}

/** A region with no ownership record, holding `text`: what a native program leaves. */
async function recordless(name: string, text: string, magic?: number): Promise<void> {
  const region = await createRegion(name, 4096, { unlinkOnClose: false });
  if (magic !== undefined) new DataView(region.bytes.buffer, region.bytes.byteOffset).setUint32(0, magic, true);
  region.write(new TextEncoder().encode(text), 8);
  region.close();
  unlinkSync(`/dev/shm/${name}.ipckit-owner`);
}

const readText = async (name: string): Promise<string> => {
  const region = await openRegion(name);
  try {
    return new TextDecoder().decode(region.read(8, 8));
  } finally {
    region.close();
  }
};

describe.runIf(other !== undefined)('an ownership record another user planted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipckit-planted-'));
  chmodSync(dir, 0o755); // the other user copies the record from here
  const file = join(dir, 'record');
  writeFileSync(file, deadRecord(), { mode: 0o644 });
  const names: string[] = [];
  const plantBeside = (name: string): void => {
    asAnotherUser(`cp ${file} /dev/shm/${name}.ipckit-owner`);
    names.push(name);
  };
  afterAll(() => {
    for (const name of names) {
      asAnotherUser(`rm -f /dev/shm/${name}.ipckit-owner`);
      rmSync(`/dev/shm/${name}`, { force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not get a region replaced: createRegion refuses, openOrCreateRegion opens it, the data survives', async () => {
    const name = uniqueName('planted');
    await recordless(name, 'precious');
    plantBeside(name);
    await expect(createRegion(name, 4096)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await readText(name)).toBe('precious');
    const opened = await openOrCreateRegion(name, 4096);
    expect(opened.existed).toBe(true);
    opened.close();
    expect(await readText(name)).toBe('precious');
  });

  it('does not get an ipckit.* region swept by listen', async () => {
    const name = uniqueName('ipckit.planted');
    await recordless(name, 'control!', CONTROL_MAGIC);
    plantBeside(name);
    const listener = await listen(`shm://${uniqueName('sweeper')}`);
    await listener.close();
    expect(await readText(name)).toBe('control!');
  });
});
