/**
 * How much one process sandbox can make the node read and hold through its channel
 * (frame-channel.ts), in one place. The node reads the channel as hostile input, so each figure is
 * what an honest module needs, no more:
 *
 * - A V8-serialised message (every message but packed results) is decoded into objects, and that
 *   grows: measured on Node 20, 300,000 empty objects serialise to 0.9 MB and decode to 30 MB
 *   (33x), empty Maps or Sets 60-70x; long strings and byte arrays about 1x. So one such message
 *   is at most MAX_MESSAGE_BYTES: room for a module's documents, events, statements and log records
 *   (a shared-state file write sends 2.8 MB of base64 chunks per insert: files-db.ts).
 * - A call's JSON result travels packed, as raw bytes that are never decoded on the way (they go
 *   into the gRPC frame as they are), bounded by the module's `limits.maxResultBytes`.
 * - File reads do not cross the channel: the node reads a module's files itself (sandbox-host.ts).
 * - The node holds at most REQUEST_BYTES_IN_FLIGHT of a sandbox's decoded-but-unanswered requests
 *   (request-window.ts), besides the count; past it the node stops reading the sandbox.
 */

const MIB = 1024 * 1024;

/** The largest V8-serialised message a sandbox may write (serialised bytes). */
export const MAX_MESSAGE_BYTES = 4 * MIB;

/**
 * Serialised bytes of a sandbox's requests the node holds decoded at once, all kinds together
 * (db, sql, emit, file URLs, learner ids, nested calls, event properties). A request larger than
 * what is left still runs when no other is in flight, so at most this much is held (and one
 * message more: the one the node decoded and found no room for, which waits).
 */
export const REQUEST_BYTES_IN_FLIGHT = 8 * MIB;

/** A frame's own headers (length, element kinds and lengths) and a packed result's id and length. */
const FRAME_OVERHEAD = 64 * 1024;

/**
 * Frames are split at 8 MiB between elements (frame-channel.ts), so a frame is one element or
 * several up to that; the largest single element is a packed result of up to `maxResultBytes`.
 */
export const SPLIT_BYTES = 8 * MIB;

/** The largest frame the node reads from a sandbox whose results are at most `maxResultBytes`. */
export function maxFrameBytes(maxResultBytes: number): number {
  return Math.max(SPLIT_BYTES, MAX_MESSAGE_BYTES, maxResultBytes) + FRAME_OVERHEAD;
}
