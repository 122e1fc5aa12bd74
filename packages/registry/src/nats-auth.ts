import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { DEFAULT_BUCKET } from './advertisement.ts';
import type { NatsSettings } from './nats-connection.ts';

/**
 * Who connects to the mesh's NATS, each with only the subjects it needs:
 * - `node`: analytics nodes (their streams and consumers, their registry entries, leases, events,
 *   the ingest queue; no deletes, purges, snapshots, other streams, account or server APIs);
 * - `client`: scripts, dashboards, the CLI's ls and call (read the registry, nothing else);
 * - `ingest`: platforms sending events (the ingest subject only);
 * - `operator`: dead letters (list, redrive, delete), the audit stream, reading the registry;
 * - `admin`: everything (tests and break-glass maintenance; never handed to a service).
 */
export const NATS_ROLES = ['node', 'client', 'ingest', 'operator', 'admin'] as const;
export type NatsRole = (typeof NATS_ROLES)[number];

export interface MeshNatsAuthOptions {
  /** Registry bucket (default insights-registry). */
  bucket?: string;
  /** One user per node id, allowed to write only that node's registry entries (besides the shared `node` user). */
  nodeIds?: readonly string[];
  eventsStream?: string;
  dlqStream?: string;
  auditStream?: string;
}

/** NATS credentials of a mesh: the server's config block and one NKey seed per user. */
export interface MeshNatsAuth {
  /** `accounts { ... }` with one account for the mesh and a user per role; no anonymous access. Add it to every server's config. */
  readonly serverConfig: string;
  /** Secret NKey seeds (SU...), per role and per node id (`node:<id>`). */
  readonly seeds: Readonly<Record<string, string>>;
  /** Connection settings for `role` (or `node:<id>`). */
  settings(servers: string | string[], role: NatsRole | `node:${string}`): NatsSettings;
  /** Writes every seed to `<dir>/<role>.nk` (mode 0600) and returns the file per role: configs name files, not secrets. */
  writeSeedFiles(dir: string): Record<string, string>;
}

const list = (subjects: readonly string[]): string => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;

function user(nkey: string, publish: readonly string[] | undefined, subscribe: readonly string[] | undefined): string {
  if (publish === undefined || subscribe === undefined) return `      { nkey: ${nkey} }`;
  return `      { nkey: ${nkey}, permissions: { publish: { allow: ${list(publish)} }, subscribe: { allow: ${list(subscribe)} } } }`;
}

/** New NKeys for every role and the server config that gives each its subjects. */
export function createMeshNatsAuth(options: MeshNatsAuthOptions = {}): MeshNatsAuth {
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const events = options.eventsStream ?? 'INSIGHTS_EVENTS';
  const dlq = options.dlqStream ?? 'INSIGHTS_DLQ';
  const audit = options.auditStream ?? 'INSIGHTS_AUDIT';
  const reg = `KV_${bucket}`;
  const seeds: Record<string, string> = {};
  const pub: Record<string, string> = {};
  for (const name of [...NATS_ROLES, ...(options.nodeIds ?? []).map((id) => `node:${id}`)]) {
    const kp = nkeys.createUser();
    seeds[name] = new TextDecoder().decode(kp.getSeed());
    pub[name] = kp.getPublicKey();
  }
  const readStream = (stream: string) => [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
  ];
  // Nodes create and use their streams, consumers and buckets, and nothing else of the JetStream
  // API: an allow list, so a compromised node's credentials cannot delete or purge a stream or a
  // stored message (the registry, events, dead letters, audit trail), snapshot or restore one,
  // create streams of its own, or reach the account, server or cluster APIs. One user per node id
  // may write only its own registry keys.
  const nodeStreams = [events, dlq, audit, reg, 'KV_insights-jobs', 'KV_insights-partitions', 'KV_insights_revoked'];
  const nodePublish = (registryKeys: string) => [
    '$JS.API.INFO',
    '$JS.API.STREAM.NAMES',
    '$JS.API.STREAM.LIST',
    ...nodeStreams.flatMap((stream) => [
      `$JS.API.STREAM.CREATE.${stream}`,
      `$JS.API.STREAM.UPDATE.${stream}`,
      ...readStream(stream),
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.LIST.${stream}`,
      `$JS.API.CONSUMER.NAMES.${stream}`,
    ]),
    '$JS.ACK.>',
    '$JS.FC.>',
    registryKeys,
    '$KV.insights-jobs.>',
    '$KV.insights-partitions.>',
    'insights.events.>',
    'insights.dlq.>',
    // Audit records come from nodes only (clients, platforms and ingesters cannot forge them).
    'insights.audit.>',
    '_INBOX.>',
  ];
  const nodeSubscribe = ['_INBOX.>', 'insights.ingest'];
  const users = [
    user(pub.node as string, nodePublish(`$KV.${bucket}.>`), nodeSubscribe),
    ...(options.nodeIds ?? []).map((id) =>
      user(pub[`node:${id}`] as string, nodePublish(`$KV.${bucket}.*.${id}`), nodeSubscribe),
    ),
    user(pub.client as string, ['$JS.API.INFO', ...readStream(reg), '$JS.FC.>'], ['_INBOX.>']),
    user(pub.ingest as string, ['insights.ingest'], ['_INBOX.>']),
    user(
      pub.operator as string,
      [
        '$JS.API.INFO',
        ...readStream(dlq),
        `$JS.API.STREAM.MSG.DELETE.${dlq}`,
        ...readStream(audit),
        // The registry too (what a client reads): a dashboard with the audit page needs one user only.
        ...readStream(reg),
        // Capability revocations (insights capability revoke): the bucket the nodes watch.
        '$JS.API.STREAM.CREATE.KV_insights_revoked',
        ...readStream('KV_insights_revoked'),
        '$KV.insights_revoked.>',
        `$JS.API.STREAM.INFO.${events}`,
        '$JS.ACK.>',
        '$JS.FC.>',
        'insights.events.>',
      ],
      ['_INBOX.>'],
    ),
    user(pub.admin as string, undefined, undefined),
  ];
  const serverConfig = [
    '# Generated by @insights/registry createMeshNatsAuth: one account for the mesh, a user per role.',
    'accounts {',
    '  INSIGHTS {',
    '    jetstream: enabled',
    '    users: [',
    users.join('\n'),
    '    ]',
    '  }',
    '  SYS: {}',
    '}',
    'system_account: SYS',
  ].join('\n');
  return {
    serverConfig,
    seeds,
    settings: (servers, role) => {
      const seed = seeds[role];
      if (seed === undefined) throw new Error(`no NATS user "${role}" (roles: ${Object.keys(seeds).join(', ')})`);
      return { servers, nkeySeed: seed };
    },
    writeSeedFiles(dir) {
      mkdirSync(dir, { recursive: true });
      const files: Record<string, string> = {};
      for (const [role, seed] of Object.entries(seeds)) {
        const file = path.join(dir, `${role.replace(':', '-')}.nk`);
        writeFileSync(file, `${seed}\n`, { mode: 0o600 });
        chmodSync(file, 0o600);
        files[role] = file;
      }
      return files;
    },
  };
}
