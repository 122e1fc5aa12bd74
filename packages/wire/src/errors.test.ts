import { InsightsError } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { toGrpcStatus } from './errors.ts';

describe('wire errors - gRPC status', () => {
  it('a message quoting a lone surrogate becomes one grpc-js can encode (encodeURI throws on it)', () => {
    const status = toGrpcStatus(new InsightsError('NOT_FOUND', 'no analytic "a\uD800b" (or \uDC00)'));
    expect(() => encodeURI(status.details ?? '')).not.toThrow();
    expect(status.details).toBe('no analytic "a\uFFFDb" (or \uFFFD)');
    expect(toGrpcStatus(new InsightsError('NOT_FOUND', 'pairs stay: 😀')).details).toBe('pairs stay: 😀');
  });
});
