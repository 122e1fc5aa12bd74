import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { isMainThread, parentPort } from 'node:worker_threads';
import { CHANNEL_FD, FrameReader, writeFrames, type MessageLimit } from './frame-channel.ts';
import { postSafely } from './outbox.ts';
import type { ChildBatch, ParentBatch } from './protocol.ts';

/** The sandbox's side of the channel to its host: a socket on fd 3 (a process) or a worker's parentPort. */
export interface ParentPort {
  readonly isWorker: boolean;
  post(batch: ChildBatch): void;
  onBatch(handler: (batch: ParentBatch) => void): void;
  /** Exits once what was posted has been handed to the channel. */
  exit(code: number): void;
}

/**
 * @param limit what the host would refuse on a process's channel (channel-limits.ts): such a
 *   message is not sent but handed to `limit.refused`. A worker posts objects and is not limited.
 */
export function openParentPort(limit?: MessageLimit): ParentPort {
  if (!isMainThread && parentPort !== null) {
    const port = parentPort;
    return {
      isWorker: true,
      post: (batch) => postSafely(batch, (b) => port.postMessage(b)),
      onBatch: (handler) => port.on('message', handler),
      // postMessage has queued the data already; exiting the thread delivers it.
      exit: (code) => process.exit(code),
    };
  }
  // fd 3 is the host's socket (process-transport.ts): frames both ways (frame-channel.ts).
  let channel: Socket;
  try {
    if (!fstatSync(CHANNEL_FD).isSocket()) throw new Error('not a socket');
    channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
  } catch {
    throw new Error('the sandbox runtime must be started by a module host');
  }
  // The host is gone (it crashed or was killed): nobody can use this sandbox any more.
  channel.on('end', () => process.exit(0));
  channel.on('error', () => process.exit(0));
  return {
    isWorker: false,
    post: (batch) => postSafely(batch, (b) => writeFrames(channel, b, undefined, limit)),
    onBatch: (handler) => {
      // The host's own frames: trusted, so only bounded by what a frame can say.
      const reader = new FrameReader(0xffffffff);
      channel.on('data', (chunk: Buffer) => reader.push(chunk, (b) => handler(b as ParentBatch)));
    },
    exit: (code) => {
      const bye = () => process.exit(code);
      setTimeout(bye, 1000).unref();
      if (channel.writable) writeFrames(channel, [], bye);
      else bye();
    },
  };
}
