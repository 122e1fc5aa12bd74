/**
 * Minimal protobuf primitives for the hot frames of the call stream. Encoding is two passes:
 * `Sizer` measures (recording each length-delimited field's length in order), then `Writer`
 * fills one exactly-sized Buffer, reading the recorded lengths back in the same order. No
 * intermediate objects, no per-field allocations, one copy of every string and byte field.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export const tag = (field: number, wire: number): number => (field << 3) | wire;
export const VARINT = WIRE_VARINT;
export const FIXED64 = WIRE_FIXED64;
export const LEN = WIRE_LEN;

export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  // Up to 2^53: one byte per 7 bits.
  let size = 5;
  for (let v = Math.floor(n / 0x800000000); v > 0; v = Math.floor(v / 0x80)) size++;
  return size;
}

/**
 * What both passes offer, so one walk of a message serves both: `begin`/`end` bracket a nested
 * message (the Sizer measures it; the Writer writes its tag and the measured length at `begin`).
 */
export interface ProtoOut {
  varintField(tagByte: number, value: number): void;
  bytesField(tagByte: number, value: string | Uint8Array): void;
  double(tagByte: number, value: number): void;
  /** A packed repeated varint field. */
  packed(tagByte: number, values: readonly number[]): void;
  begin(tagByte: number): number;
  end(tagByte: number, mark: number): void;
}

function packedSize(values: readonly number[]): number {
  let n = 0;
  for (const v of values) n += varintSize(v);
  return n;
}

/** Pass one: adds up the encoded size, remembering string and message lengths for pass two. */
export class Sizer implements ProtoOut {
  readonly lengths: number[] = [];
  readonly #starts: number[] = [];
  size = 0;

  /** A string or bytes field (skipped when empty, as proto3 does). */
  bytesField(tagByte: number, value: string | Uint8Array): void {
    const n = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
    if (n === 0) return;
    this.lengths.push(n);
    this.size += varintSize(tagByte) + varintSize(n) + n;
  }

  varintField(tagByte: number, value: number): void {
    if (value !== 0) this.size += varintSize(tagByte) + varintSize(value);
  }

  double(tagByte: number, value: number): void {
    if (value !== 0) this.size += varintSize(tagByte) + 8;
  }

  packed(tagByte: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const n = packedSize(values);
    this.lengths.push(n);
    this.size += varintSize(tagByte) + varintSize(n) + n;
  }

  begin(): number {
    this.lengths.push(0);
    const slot = this.lengths.length - 1;
    this.#starts[slot] = this.size;
    return slot;
  }

  end(tagByte: number, slot: number): void {
    const n = this.size - this.#starts[slot]!;
    this.lengths[slot] = n;
    this.size += varintSize(tagByte) + varintSize(n);
  }
}

/** Pass two: writes into a Buffer of exactly the measured size. */
export class Writer implements ProtoOut {
  readonly buf: Buffer;
  pos = 0;
  #next = 0;

  constructor(private readonly sizes: Sizer) {
    this.buf = Buffer.allocUnsafe(sizes.size);
  }

  varint(n: number): void {
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.pos++] = n;
  }

  bytesField(tagByte: number, value: string | Uint8Array): void {
    if (value.length === 0) return;
    const n = this.sizes.lengths[this.#next++]!;
    this.varint(tagByte);
    this.varint(n);
    if (typeof value === 'string') this.buf.write(value, this.pos, n, 'utf8');
    else this.buf.set(value, this.pos);
    this.pos += n;
  }

  varintField(tagByte: number, value: number): void {
    if (value === 0) return;
    this.varint(tagByte);
    this.varint(value);
  }

  packed(tagByte: number, values: readonly number[]): void {
    if (values.length === 0) return;
    this.varint(tagByte);
    this.varint(this.sizes.lengths[this.#next++]!);
    for (const v of values) this.varint(v);
  }

  begin(tagByte: number): number {
    this.varint(tagByte);
    this.varint(this.sizes.lengths[this.#next++]!);
    return 0;
  }

  end(): void {
    // The length was written at `begin`.
  }

  double(tagByte: number, value: number): void {
    if (value === 0) return;
    this.varint(tagByte);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }
}

/** Sequential reader over one message (or a nested one: `end` bounds it). */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('protobuf: truncated varint');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new RangeError('protobuf: varint too long');
    }
  }

  /** Bounds of a length-delimited field's contents; advances past it. */
  span(): number {
    const n = this.varint();
    const start = this.pos;
    if (start + n > this.end) throw new RangeError('protobuf: length-delimited field runs past its message');
    this.pos = start + n;
    return start;
  }

  string(): string {
    const start = this.span();
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A view of the bytes (no copy). */
  bytes(): Buffer {
    const start = this.span();
    return this.buf.subarray(start, this.pos);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new RangeError('protobuf: truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Skips a field this reader does not know (forward compatibility). */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.span();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        break;
      default:
        throw new RangeError(`protobuf: unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new RangeError('protobuf: truncated field');
  }
}
