import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal } from './embedded-journal.ts';

let dir: string;

describe('embedded journal', () => {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-journal-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('journal - appends made together share one write and one fdatasync (group commit)', async () => {
    const probe = await open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const syncs = vi.spyOn(proto, 'datasync');
    const journal = new Journal(path.join(dir, 'c', 'journal-00000001.jsonl'), 0, []);
    await Promise.all(Array.from({ length: 200 }, (_, i) => journal.append(JSON.stringify({ i }))));
    expect(syncs).toHaveBeenCalledTimes(1);
    // While a sync runs, new appends queue for the next one.
    const first = journal.append('{"a":1}');
    const rest = Array.from({ length: 50 }, (_, i) => journal.append(JSON.stringify({ b: i })));
    await Promise.all([first, ...rest]);
    expect(syncs.mock.calls.length).toBeLessThanOrEqual(3);
    await journal.close();
    const lines = (await readFile(path.join(dir, 'c', 'journal-00000001.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(251);
  });

  it('journal - rotation keeps order: earlier lines land in the old file, later ones in the new', async () => {
    const journal = new Journal(path.join(dir, 'j1'), 0, []);
    const a = journal.append('"old"');
    const r = journal.rotate(path.join(dir, 'j2'));
    const b = journal.append('"new"');
    await Promise.all([a, r, b]);
    await journal.close();
    expect(await readFile(path.join(dir, 'j1'), 'utf8')).toBe('"old"\n');
    expect(await readFile(path.join(dir, 'j2'), 'utf8')).toBe('"new"\n');
  });

  it('journal - a failed write rejects with DB_IO_ERROR and refuses later appends', async () => {
    const journal = new Journal(path.join(dir, 'no-such-parent', '\u0000bad'), 0, []);
    await expect(journal.append('1')).rejects.toMatchObject({ code: 'DB_IO_ERROR' });
    await expect(journal.append('2')).rejects.toMatchObject({ code: 'DB_IO_ERROR' });
    await journal.close();
  });
});
