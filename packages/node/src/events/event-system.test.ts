import { createLogger } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../config.ts';
import type { NatsLink } from '../nats-link.ts';
import { startEventSystem } from './event-system.ts';

describe('event system - ingest before NATS', () => {
  it('an ingest waits for NATS until its deadline, then fails UNAVAILABLE saying so', async () => {
    const unreachable: NatsLink = {
      connected: new Promise(() => {}),
      configured: true,
      isConnected: () => false,
      close: async () => {},
    };
    const system = startEventSystem(
      parseNodeConfig({ dataDir: '/tmp/unused' }),
      unreachable,
      new Map(),
      createLogger(() => {}, {}, 'error'),
    );
    try {
      const event = { time: '2026-01-05T00:00:00Z', source: 'test', type: 'ping', payload: {} };
      await expect(system.ingest([event], { timeoutMs: 50 })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/events need NATS/) as unknown,
      });
    } finally {
      await system.close();
    }
  });
});
