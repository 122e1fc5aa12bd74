/**
 * The prototype's conformance module (edinsights.modules.testmodule), ported. Every analytic
 * keeps its `djt_` name so the prototype's test list maps one to one onto ours.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { defineModule, eventHandler, eventProperty, normaliser, query, view, z, type EventEnvelope } from '@insights/sdk';

const TEMPLATES = new URL('../templates/', import.meta.url);

/** The prototype's test events are flat objects; the test data layer keeps them whole as payload. */
const field = (e: EventEnvelope, name: string): unknown => (e.payload as Record<string, unknown> | null)?.[name];
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const hashOf = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 32);

export default defineModule({
  name: 'testmodule',
  version: '1.0.0',
  description: 'Conformance analytics: counters, files, cache, properties, mesh calls, aliases, templates.',

  queries: {
    djt_event_count: query({
      description: 'How many events the module has seen.',
      run: (_args, { db }) => db.collection('events_seen').countDocuments({}),
    }),
    djt_user_event_count: query({
      description: 'How many events one user has produced.',
      params: { user: z.string().min(1).describe('User name') },
      run: ({ user }, { db }) => db.collection('events_seen').countDocuments({ user }),
    }),
    djt_clear_database: query({
      description: 'Removes both counters (a query with side effects, so not retried).',
      idempotent: false,
      run: async (_args, { db }) => {
        await db.collection('events_seen').deleteMany({});
        return 'Database clear';
      },
    }),
    djt_readfile: query({
      description: 'Contents of one of the module files, or "File not found".',
      params: { filename: z.string().min(1) },
      run: async ({ filename }, { fs }) => ((await fs.exists(filename)) ? fs.readText(filename) : 'File not found'),
    }),
    djt_cache_get: query({
      description: 'A value from the module cache.',
      params: { key: z.string().min(1) },
      run: ({ key }, { cache }) => cache.get(key) ?? null,
    }),
    djt_fake_user_count: query({ description: 'Always 2.', run: () => 2 }),
    djt_three_name: query({
      description: 'One analytic, three names.',
      aliases: ['edx_djt_three_name', 'edx.djt_three_name'],
      run: () => 'I have three names',
    }),
    djt_check_three_name: query({
      description: 'Calls djt_three_name through two of its aliases.',
      run: async (_args, { mesh }) => {
        const a = await mesh.query.edx_djt_three_name!();
        const b = await mesh.query['edx.djt_three_name']!();
        return a === b ? 'Works' : 'Broken';
      },
    }),
  },

  views: {
    djt_hello_template: view({
      description: 'A view rendered from a template file of the module.',
      run: () => readFile(new URL('hello.html', TEMPLATES), 'utf8'),
    }),
    djt_fake_user_count: view({
      description: 'A view that calls the query of the same name through the mesh.',
      run: async (_args, { mesh }) => `<html>Users: ${String(await mesh.query.djt_fake_user_count!())}</html>`,
    }),
  },

  eventHandlers: {
    djt_event_count_event: eventHandler({
      description: 'Counts every event, and every event per user.',
      // Each event is recorded once under its id and the counts are counts of records, so a
      // redelivered event (after a crash, or beyond the duplicate window) never counts twice.
      handle: async (events, { db }) => {
        const seen = db.collection('events_seen');
        await seen.createIndex({ user: 1 });
        await Promise.all(
          events.map((e) =>
            seen
              .insertOne({ _id: e.id, user: typeof field(e, 'user') === 'string' ? field(e, 'user') : null })
              .catch((err: { code?: string }) => {
                if (err.code !== 'DB_DUPLICATE_KEY') throw err;
              }),
          ),
        );
      },
    }),
    djt_python_fs_forgets: eventHandler({
      description: 'Writes files and sets their expiry, driven by events.',
      handle: async (events, { fs }) => {
        for (const e of events) {
          const filename = field(e, 'filename');
          if (typeof filename !== 'string') continue;
          const contents = field(e, 'fs_forgets_contents');
          if (typeof contents === 'string') await fs.write(filename, contents);
          const expiry = field(e, 'fs_forgets_expiry');
          if (typeof expiry === 'number') await fs.expire(filename, expiry);
        }
      },
    }),
    djt_python_fs_event: eventHandler({
      description: 'Creates and deletes files on `pyfstest` events.',
      filter: { types: ['pyfstest'] },
      handle: async (events, { fs }) => {
        for (const e of events) {
          const filename = String(field(e, 'filename'));
          if (field(e, 'action') === 'create') await fs.write(filename, String(field(e, 'contents') ?? ''));
          else if (field(e, 'action') === 'delete') await fs.delete(filename);
        }
      },
    }),
    djt_cache_set: eventHandler({
      description: 'Sets cache keys on `cachetest` events.',
      filter: { types: ['cachetest'] },
      handle: (events, { cache }) => {
        for (const e of events) {
          const timeout = field(e, 'timeout');
          cache.set(String(field(e, 'key')), field(e, 'value'), typeof timeout === 'number' ? { ttlSeconds: timeout } : {});
        }
      },
    }),
    djt_event_property_check: eventHandler({
      description: 'Remembers the actor of `event_property_check` events, read through an event property.',
      filter: { where: (e) => field(e, 'event_property_check') !== undefined },
      handle: async (events, { cache, property }) => {
        for (const e of events) cache.set('last_seen_user', await property(e, 'djt_agent'), { ttlSeconds: 30 });
      },
    }),
  },

  normalisers: {
    prototype_events: normaliser({
      source: 'test',
      description: "The prototype's flat test events ({event: 'hello', user: 'alice', ...}); type = `event` or `test`.",
      accepts: (raw) =>
        isObj(raw) && !('event_type' in raw) && !('name' in raw) && !('actor' in raw) && !('source' in raw && 'type' in raw),
      normalise: (raw) => {
        const r = raw as Record<string, unknown>;
        const actor = typeof r.user === 'string' ? r.user : typeof r.username === 'string' ? r.username : undefined;
        return {
          id: typeof r.id === 'string' ? r.id : hashOf(r),
          time: typeof r.time === 'string' ? new Date(r.time).toISOString() : new Date().toISOString(),
          source: 'test',
          type: typeof r.event === 'string' ? r.event : 'test',
          actor,
          payload: r,
          raw: r,
        };
      },
    }),
  },

  eventProperties: {
    djt_agent: eventProperty({
      description: 'The actor: `user`, else `username`, else null (the prototype\'s Tincan "agent").',
      compute: (e) => field(e, 'user') ?? field(e, 'username') ?? null,
    }),
  },
});
