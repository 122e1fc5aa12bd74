import { isMainThread, parentPort } from 'node:worker_threads';
import { postSafely } from './outbox.ts';
import type { ChildBatch, ParentBatch } from './protocol.ts';

/** The sandbox's side of the channel to its host: process IPC or a worker's parentPort. */
export interface ParentPort {
  readonly isWorker: boolean;
  post(batch: ChildBatch): void;
  onBatch(handler: (batch: ParentBatch) => void): void;
  /** Exits once what was posted has been handed to the channel. */
  exit(code: number): void;
}

export function openParentPort(): ParentPort {
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
  if (typeof process.send !== 'function') throw new Error('the sandbox runtime must be started by a module host');
  // The host is gone (it crashed or was killed): nobody can use this sandbox any more.
  process.on('disconnect', () => process.exit(0));
  const send = (b: ChildBatch, done?: () => void) => {
    if (process.connected) process.send!(b, undefined, undefined, done);
  };
  return {
    isWorker: false,
    post: (batch) => postSafely(batch, (b) => send(b)),
    onBatch: (handler) => process.on('message', handler as (m: unknown) => void),
    exit: (code) => {
      const bye = () => process.exit(code);
      setTimeout(bye, 1000).unref();
      if (process.connected) send([], bye);
      else bye();
    },
  };
}
