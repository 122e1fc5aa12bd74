import * as net from 'node:net';

/** Frame types and codes of RFC 9113 this client needs. */
export const H2 = {
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  REFUSED_STREAM: 7,
  MAX_CONCURRENT_STREAMS: 3,
} as const;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/**
 * An HTTP/2 client that writes frames by hand, as a hostile peer would: it does not wait for the
 * server's SETTINGS or honour them (Node's own client queues streams beyond the server's limit,
 * so it could not test that the server enforces it). It records every frame the server sends.
 */
export class RawHttp2 {
  readonly frames: Frame[] = [];
  readonly #socket: net.Socket;
  #buffered = Buffer.alloc(0);
  #closed = false;

  /** `answerPings: false` plays a peer that has vanished without closing its socket. */
  constructor(address: string, { answerPings = true } = {}) {
    const i = address.lastIndexOf(':');
    this.#socket = net.connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    this.#socket.on('error', () => {});
    this.#socket.on('close', () => (this.#closed = true));
    this.#socket.on('data', (d: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, d]);
      while (this.#buffered.length >= 9) {
        const length = this.#buffered.readUIntBE(0, 3);
        if (this.#buffered.length < 9 + length) break;
        const frame = {
          type: this.#buffered[3]!,
          flags: this.#buffered[4]!,
          stream: this.#buffered.readUInt32BE(5) & 0x7fffffff,
          payload: this.#buffered.subarray(9, 9 + length),
        };
        this.#buffered = this.#buffered.subarray(9 + length);
        this.frames.push(frame);
        if (frame.type === H2.PING && (frame.flags & 1) === 0 && answerPings) this.#frame(H2.PING, 1, 0, frame.payload);
      }
    });
    this.#socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    this.#frame(H2.SETTINGS, 0, 0, Buffer.alloc(0));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Opens stream `id` (odd) with a request's headers and no body: the stream stays open. */
  openStream(id: number, path: string, authority: string): void {
    const headers: [string, string][] = [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', path],
      [':authority', authority],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ];
    // HPACK literals without indexing, no Huffman (RFC 7541 6.2.2); every string here is < 127 bytes.
    const block = Buffer.concat(
      headers.flatMap(([n, v]) => [Buffer.from([0, n.length]), Buffer.from(n), Buffer.from([v.length]), Buffer.from(v)]),
    );
    this.#frame(H2.HEADERS, 0x4 /* END_HEADERS */, id, block);
  }

  /** Error codes of the RST_STREAM frames received, by stream. */
  resets(): Map<number, number> {
    return new Map(this.frames.filter((f) => f.type === H2.RST_STREAM).map((f) => [f.stream, f.payload.readUInt32BE(0)]));
  }

  /** A setting of the server's first SETTINGS frame. */
  setting(id: number): number | undefined {
    const settings = this.frames.find((f) => f.type === H2.SETTINGS && (f.flags & 1) === 0)?.payload;
    for (let i = 0; settings !== undefined && i + 6 <= settings.length; i += 6)
      if (settings.readUInt16BE(i) === id) return settings.readUInt32BE(i + 2);
    return undefined;
  }

  close(): void {
    this.#socket.destroy();
  }

  #frame(type: number, flags: number, stream: number, payload: Buffer): void {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(stream, 5);
    this.#socket.write(Buffer.concat([head, payload]));
  }
}
