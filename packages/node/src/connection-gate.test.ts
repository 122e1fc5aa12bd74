import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionGate } from './connection-gate.ts';

const socket = (remoteAddress: string) =>
  Object.assign(new EventEmitter(), { remoteAddress, destroy() {} }) as unknown as Socket & EventEmitter;

describe('connection gate', () => {
  it('admits up to the per-peer and total limits, names the one a refusal breaks, and frees a slot when a socket closes', () => {
    const gate = new ConnectionGate({ maxConnections: 3, maxConnectionsPerPeer: 2 });
    const a1 = socket('10.0.0.1');
    expect(gate.admit(a1)).toBeUndefined();
    expect(gate.admit(socket('::ffff:10.0.0.1'))).toBeUndefined(); // the same peer, IPv4-mapped
    expect(gate.admit(socket('10.0.0.1'))).toBe('maxConnectionsPerPeer');
    expect(gate.admit(socket('10.0.0.2'))).toBeUndefined();
    expect(gate.admit(socket('10.0.0.3'))).toBe('maxConnections');
    a1.emit('close');
    expect(gate.open).toBe(2);
    expect(gate.admit(socket('10.0.0.1'))).toBeUndefined();
  });
});
