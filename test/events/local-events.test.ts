import { local, type Mesh } from '@insights/client';
import { eventId, readTrackingLog } from '@insights/module-edx/lib';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import edx from '../../modules/edx/src/index.ts';
import testmodule from '../../modules/testmodule/src/index.ts';
import { REPO_ROOT } from '../support/tmp.ts';

/** The prototype's event tests (edinsights/modules/tests.py), in local mode. */
describe('events - the prototype testmodule, in local mode', () => {
  let mesh: Mesh;
  beforeEach(async () => {
    mesh = await local({ modules: [edx, testmodule] });
  });
  afterEach(() => mesh.close());

  it('test_db_works: a global counter', async () => {
    expect(await mesh.query.djt_event_count!()).toBe(0);
    for (const n of [1, 2, 3]) {
      await mesh.events.ingest([{ event: 'hello', seq: n }]);
      expect(await mesh.query.djt_event_count!()).toBe(n);
    }
    await mesh.query.djt_clear_database!();
    expect(await mesh.query.djt_event_count!()).toBe(0);
  });

  it('test_per_user_works: per-user counters', async () => {
    await mesh.events.ingest([
      { event: 'x', user: 'alice', seq: 1 },
      { event: 'x', user: 'eve', seq: 2 },
      { event: 'x', user: 'alice', seq: 3 },
    ]);
    expect(await mesh.query.djt_user_event_count!({ user: 'alice' })).toBe(2);
    expect(await mesh.query.djt_user_event_count!({ user: 'eve' })).toBe(1);
  });

  it('an event delivered twice counts once (updateOnce)', async () => {
    const e = { id: 'evt-1', event: 'x', user: 'bob' };
    await mesh.events.ingest([e]);
    await mesh.events.ingest([e]);
    expect(await mesh.query.djt_user_event_count!({ user: 'bob' })).toBe(1);
    expect(await mesh.query.djt_event_count!()).toBe(1);
  });

  it('test_osfs_works: files created and deleted by events', async () => {
    await mesh.events.ingest([{ event: 'pyfstest', action: 'create', filename: 'foo.txt', contents: 'hello' }]);
    expect(await mesh.query.djt_readfile!({ filename: 'foo.txt' })).toBe('hello');
    await mesh.events.ingest([{ event: 'pyfstest', action: 'delete', filename: 'foo.txt' }]);
    expect(await mesh.query.djt_readfile!({ filename: 'foo.txt' })).toBe('File not found');
  });

  it('test_osfs_forgets: expiry set by events', async () => {
    await mesh.events.ingest(
      ['foo1', 'foo2', 'foo3', 'foo4'].map((f, i) => ({
        filename: f,
        fs_forgets_contents: 'hello world!',
        fs_forgets_expiry: i < 2 ? -5 : 15,
      })),
    );
    expect(await mesh.query.djt_readfile!({ filename: 'foo1' })).toBe('File not found');
    expect(await mesh.query.djt_readfile!({ filename: 'foo3' })).toBe('hello world!');
    await mesh.events.ingest(['foo3', 'foo4'].map((f) => ({ filename: f, fs_forgets_expiry: -15 })));
    expect(await mesh.query.djt_readfile!({ filename: 'foo4' })).toBe('File not found');
  });

  it('test_cache: cache set by events', async () => {
    await mesh.events.ingest([
      { event: 'cachetest', key: 'key1', value: 'value1', timeout: 30 },
      { event: 'cachetest', key: 'key2', value: 'value2', timeout: 30 },
    ]);
    expect(await mesh.query.djt_cache_get!({ key: 'key1' })).toBe('value1');
    expect(await mesh.query.djt_cache_get!({ key: 'key2' })).toBe('value2');
    await mesh.events.ingest([{ event: 'cachetest', key: 'key1', value: 'valuea', timeout: 30 }]);
    expect(await mesh.query.djt_cache_get!({ key: 'key1' })).toBe('valuea');
  });

  it('test_event_property: a handler reads the actor through an event property', async () => {
    await mesh.events.ingest([{ event_property_check: true, user: 'bob' }]);
    expect(await mesh.query.djt_cache_get!({ key: 'last_seen_user' })).toBe('bob');
    await mesh.events.ingest([{ event_property_check: true, username: 'joe' }]);
    expect(await mesh.query.djt_cache_get!({ key: 'last_seen_user' })).toBe('joe');
  });

  it('tincan properties dispatch by source (edx and xapi)', async () => {
    const edxEvent = {
      event_type: 'play_video',
      event_source: 'browser',
      username: 'ada',
      time: '2014-01-01T00:00:00',
      event: '{"id":"v1","currentTime":12}',
      context: { user_id: 7, course_id: 'A/B/C' },
    };
    expect(await mesh.events.property(edxEvent, 'tincan.actor')).toBeTruthy();
    expect(await mesh.events.property(edxEvent, 'edx.video_position')).toBe(12);
  });

  it('bad events are reported with their index and never stop the others', async () => {
    const r = await mesh.events.ingest([
      { event: 'x', seq: 1 },
      'not an object',
      { event_type: 'problem_check' },
      { event: 'x', seq: 2 },
    ]);
    expect(r.accepted).toBe(2);
    expect(r.rejected.map((x) => x.index)).toEqual([1, 2]);
    expect(r.rejected[1]?.message).toMatch(/edx: .*time/);
    expect(await mesh.query.djt_event_count!()).toBe(2);
  });
});

const DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'edx-tracking');

describe.skipIf(!existsSync(DATA))('events - real Open edX tracking logs in local mode (../shared/data)', () => {
  it('every event of every log is normalised and counted once', async () => {
    const mesh = await local({ modules: [edx, testmodule] });
    try {
      let lines = 0;
      const ids = new Set<string>();
      for (const f of readdirSync(DATA).filter((x) => x.endsWith('.log'))) {
        const batch: unknown[] = [];
        for await (const l of readTrackingLog(path.join(DATA, f)))
          if (l.kind === 'event') {
            batch.push(l.event);
            ids.add(eventId(l.event));
          }
        lines += batch.length;
        const r = await mesh.events.ingest(batch);
        expect(r.rejected, f).toEqual([]);
      }
      expect(lines).toBe(2318);
      // Identical lines in the logs share an id (2,117 distinct of 2,318): one event, counted once.
      expect(ids.size).toBe(2117);
      expect(await mesh.query.djt_event_count!()).toBe(ids.size);
    } finally {
      await mesh.close();
    }
  });
});
