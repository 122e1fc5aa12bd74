import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open connections to one port in total (limits.maxConnections). */
  readonly maxConnections: number;
  /** Open connections to one port from one IP address (limits.maxConnectionsPerPeer). */
  readonly maxConnectionsPerPeer: number;
}

export type ConnectionLimit = 'maxConnections' | 'maxConnectionsPerPeer';

/**
 * Counts the open connections of one listening port, in total and per peer address, and says
 * whether a new one may stay. A flood from one address then costs the node at most
 * maxConnectionsPerPeer file descriptors, and all peers together maxConnections; everyone
 * else keeps being served. Refused sockets are the caller's to close (how depends on the protocol).
 */
export class ConnectionGate {
  readonly #limits: ConnectionLimits;
  readonly #perPeer = new Map<string, number>();
  readonly #sockets = new Set<Socket>();

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#sockets.size;
  }

  /** Closes every admitted connection still open (a stopping server's stragglers, e.g. unfinished TLS handshakes). */
  destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  /** Admits `socket` (counted until it closes), or names the limit it would break. */
  admit(socket: Socket): ConnectionLimit | undefined {
    const peer = peerOf(socket);
    const fromPeer = this.#perPeer.get(peer) ?? 0;
    if (this.#sockets.size >= this.#limits.maxConnections) return 'maxConnections';
    if (fromPeer >= this.#limits.maxConnectionsPerPeer) return 'maxConnectionsPerPeer';
    this.#sockets.add(socket);
    this.#perPeer.set(peer, fromPeer + 1);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      const left = (this.#perPeer.get(peer) ?? 1) - 1;
      if (left <= 0) this.#perPeer.delete(peer);
      else this.#perPeer.set(peer, left);
    });
    return undefined;
  }
}

/** The peer's address, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) read as the IPv4 address it is. */
function peerOf(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
