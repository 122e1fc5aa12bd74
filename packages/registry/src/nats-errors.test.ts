import {
  AuthorizationError,
  nkeys,
  NoRespondersError,
  RequestError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { isAuthenticationRefused, isMessageTtlDisabled, isNoResponders } from './nats-errors.ts';

describe('nats errors', () => {
  it('nats errors - finds no responders under the JetStream error that wraps it', () => {
    const wrapped = new JetStreamError('jetstream is not enabled', {
      cause: new RequestError('no responders', { cause: new NoRespondersError('$KV.b.k') }),
    });
    expect(isNoResponders(wrapped)).toBe(true);
    expect(isNoResponders(new RequestError('timeout'))).toBe(false);
    expect(isNoResponders('503')).toBe(false);
  });

  it('nats errors - refused and expired credentials are permanent, a lost connection is not', () => {
    expect(isAuthenticationRefused(new AuthorizationError('Authorization Violation'))).toBe(true);
    expect(isAuthenticationRefused(new UserAuthenticationExpiredError('expired'))).toBe(true);
    expect(isAuthenticationRefused(new Error('ECONNREFUSED'))).toBe(false);
  });

  it('nats errors - a malformed nkey seed is permanent', () => {
    let error: unknown;
    try {
      nkeys.fromSeed(new TextEncoder().encode('SUNOTASEED'));
    } catch (e) {
      error = e;
    }
    expect(isAuthenticationRefused(error)).toBe(true);
  });

  it('nats errors - a write with a TTL refused by a bucket without per-message TTL is told from other refusals', () => {
    const refused = new JetStreamApiError({ code: 400, err_code: 10166, description: 'per-message TTL is disabled' });
    expect(isMessageTtlDisabled(refused)).toBe(true);
    expect(isMessageTtlDisabled(new Error('wrapped', { cause: refused }))).toBe(true);
    expect(isMessageTtlDisabled(new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence' }))).toBe(
      false,
    );
    expect(isMessageTtlDisabled(new RequestError('timeout'))).toBe(false);
  });
});
