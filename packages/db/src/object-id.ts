/** ObjectId-like `_id`s as 24 hex digits: seconds, a per-process random part and a counter. */
import { randomBytes } from 'node:crypto';

const PROCESS_PART = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** A new id; ids sort by creation second, like MongoDB's ObjectId. */
export function newObjectIdHex(): string {
  counter = (counter + 1) % 0x1000000;
  const seconds = Math.floor(Date.now() / 1000) % 0x100000000;
  return seconds.toString(16).padStart(8, '0') + PROCESS_PART + counter.toString(16).padStart(6, '0');
}
