import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { serverSupportsTtl, ttlHeader } from './server-expiry.ts';

describe('server expiry', () => {
  it('server expiry - a TTL goes to the server in whole seconds, rounded up, never below one', () => {
    expect([ttlHeader(6000), ttlHeader(1500), ttlHeader(500), ttlHeader(1_800_000)]).toEqual(['6s', '2s', '1s', '1800s']);
  });

  it('server expiry - per-message TTL is asked of nats-server 2.11 and newer only', () => {
    const on = (version: string | undefined) =>
      serverSupportsTtl({ info: version === undefined ? undefined : { version } } as NatsConnection);
    expect([on('2.9.10'), on('2.10.22'), on('2.11.0'), on('2.14.10'), on('3.0.0'), on(undefined)]).toEqual([
      false,
      false,
      true,
      true,
      true,
      false,
    ]);
  });
});
