/**
 * Entry point of a sandbox (a child process or a worker thread). The host bundles this file
 * (bundler.ts) and starts it; the first message says which module bundle to load. The module
 * then runs in the same ModuleRuntime as inline, so module code is identical everywhere; only
 * its environment (child-env.ts) reaches the node over the channel.
 *
 * One sandbox is one JS thread: a module's own loops never race with other modules.
 */
import { InsightsError, type EventEnvelope } from '@insights/sdk';
import { loadModuleDefinition, ModuleRuntime } from '@insights/runtime/internal';
import type { RuntimeEnvironment } from '@insights/runtime/internal';
import { childEnvironment, HostRequests, RemoteMesh } from './child-env.ts';
import { MAX_MESSAGE_BYTES } from './channel-limits.ts';
import { openParentPort } from './child-port.ts';
import { lockdown } from './lockdown.ts';
import { refuseOversized } from './oversized-message.ts';
import { Outbox } from './outbox.ts';
import { isPackedCalls, packAnswers, unpackCalls, type UnpackedCall } from './packed.ts';
import { toWireError, type ChildMessage, type ChildQueued, type InitMessage, type ParentMessage } from './protocol.ts';
import { exceedsSize } from './result-size.ts';
// The codec alone: the sandbox bundle must not pull in grpc-js with the package's main entry.
import { encodedJsonOf, encodeResult } from '@insights/wire/result-codec';

// What the node would refuse is not sent: whoever waits for it hears why (oversized-message.ts).
const port = openParentPort({
  maxMessageBytes: MAX_MESSAGE_BYTES,
  refused: (m, bytes) => refuseOversized(m as ChildMessage, bytes, MAX_MESSAGE_BYTES, out, requests),
});

const out = new Outbox<ChildQueued, ChildMessage | Uint8Array>((batch) => port.post(batch), {
  pack: packAnswers,
});
const requests = new HostRequests(out);
const mesh = new RemoteMesh(requests);
const calls = new Map<number, AbortController>();
let runtime: ModuleRuntime | undefined;
let env: RuntimeEnvironment | undefined;
let maxResultBytes = Infinity;

port.onBatch((batch) => {
  for (const m of batch)
    if (!(m instanceof Uint8Array)) handle(m);
    else if (isPackedCalls(m)) for (const c of unpackCalls(m)) runCall(c);
});

function handle(m: ParentMessage): void {
  switch (m.type) {
    case 'init':
      void start(m);
      return;
    case 'call':
      runCall(m);
      return;
    case 'events':
      cancellable(m.id, (signal) => need().handleEvents(m.handler, m.events, m.deadline, signal, m.id, m.delivery));
      return;
    case 'events-json':
      cancellable(m.id, (signal) => need().handleEvents(m.handler, parseEvents(m.json), m.deadline, signal, m.id, m.delivery));
      return;
    case 'job':
      cancellable(m.id, (signal) => need().runJob(m.job, m.deadline, signal, m.id));
      return;
    case 'normalise':
      answer(m.id, async () => need().normalise(m.raws));
      return;
    case 'property':
      answer(m.id, async () => need().computeProperty(m.name, m.event));
      return;
    case 'cancel':
      calls
        .get(m.id)
        ?.abort(new InsightsError(m.code, m.code === 'CANCELLED' ? 'call cancelled by the caller' : 'deadline exceeded'));
      return;
    case 'sweep-files':
      answer(m.id, () => need().files.sweep());
      return;
    case 'ping':
      out.push({ type: 'pong', seq: m.seq });
      return;
    case 'names':
      mesh.setNames(m.query, m.view);
      return;
    case 'close':
      void close();
      return;
    case 'done':
    case 'failed':
      requests.settle(m);
      return;
  }
}

async function start(init: InitMessage): Promise<void> {
  // Before any module code runs.
  lockdown(port.isWorker, init.addon);
  maxResultBytes = init.maxResultBytes;
  try {
    const def = await loadModuleDefinition(init.bundle);
    env = childEnvironment(init, out, requests, mesh);
    runtime = await ModuleRuntime.create(def, env);
  } catch (e) {
    // The loader wraps the import error; the host names the module's own entry, not the bundle.
    const cause = (e as { cause?: unknown }).cause;
    out.push({ type: 'load-failed', message: cause instanceof Error ? cause.message : (e as Error).message });
    out.flush();
    port.exit(1);
    return;
  }
  out.push({ type: 'ready', manifest: runtime.manifest });
  const stats = () => {
    const mem = process.memoryUsage();
    out.push({ type: 'stats', rss: mem.rss, heapUsed: mem.heapUsed });
  };
  stats();
  setInterval(stats, init.statsIntervalMs).unref();
}

function runCall(m: UnpackedCall | Extract<ParentMessage, { type: 'call' }>): void {
  const rt = runtime;
  if (rt === undefined) {
    out.push({ type: 'failed', id: m.id, error: { code: 'UNAVAILABLE', message: 'the module is not loaded yet' } });
    return;
  }
  const controller = takeController();
  calls.set(m.id, controller);
  const onProgress = m.progress
    ? (fraction: number, message: string) => out.push({ type: 'progress', id: m.id, fraction, message })
    : undefined;
  // The message itself is the HostCall (kind, name, args, deadline): no copy per call.
  // The call's id names it in its nested calls: the host looks up whose authority they carry.
  const memoScope = 'memoScope' in m ? m.memoScope : undefined;
  rt.call(m, { signal: controller.signal, onProgress, callId: m.id, memoScope }).then(
    (outcome) => {
      calls.delete(m.id);
      giveBack(controller);
      const analytic = `${rt.manifest.name}.${m.name}`;
      if (outcome.type === 'json') {
        // Encoded here, on the sandbox's thread: it crosses the channel as one copy, and the
        // node writes it into the frame without serialising the value again.
        let encoded: string | Uint8Array;
        try {
          encoded = encodedJsonOf(outcome.value, outcome.shared);
        } catch (e) {
          const message = `${analytic} returned a value that is not JSON: ${(e as Error).message}`;
          out.push({ type: 'failed', id: m.id, error: { code: 'INTERNAL', message, analytic } });
          return;
        }
        if (resultBytesOver(encoded)) out.push({ type: 'failed', id: m.id, error: tooLarge(analytic) });
        else out.push({ type: 'result', id: m.id, encoded });
      } else if (exceedsSize(outcome, maxResultBytes)) out.push({ type: 'failed', id: m.id, error: tooLarge(analytic) });
      else {
        // A view crosses as its encoded body, packed (protocol.ts, ViewResultMessage).
        let body: { contentType: string; data: Uint8Array };
        try {
          body = encodeResult(outcome);
        } catch (e) {
          const message = `${analytic} returned a view that cannot be encoded: ${(e as Error).message}`;
          out.push({ type: 'failed', id: m.id, error: { code: 'INTERNAL', message, analytic } });
          return;
        }
        if (body.data.length > maxResultBytes) out.push({ type: 'failed', id: m.id, error: tooLarge(analytic) });
        else out.push({ type: 'view-result', id: m.id, contentType: body.contentType, data: body.data });
      }
    },
    (e: unknown) => {
      calls.delete(m.id);
      giveBack(controller);
      out.push({ type: 'failed', id: m.id, error: toWireError(e) });
    },
  );
}

/** Whether a JSON result is over maxResultBytes in UTF-8 bytes (what the node's frame limit counts). */
function resultBytesOver(encoded: string | Uint8Array): boolean {
  if (encoded.length > maxResultBytes) return true;
  // A string's UTF-8 bytes are at most thrice its UTF-16 units: counted only when that could pass.
  return typeof encoded === 'string' && encoded.length * 3 > maxResultBytes && Buffer.byteLength(encoded) > maxResultBytes;
}

function tooLarge(analytic: string): { code: 'RESOURCE_EXHAUSTED'; message: string; analytic: string } {
  const message = `${analytic} returned a result larger than its limit of ${maxResultBytes} bytes (maxResultBytes)`;
  return { code: 'RESOURCE_EXHAUSTED', message, analytic };
}

/**
 * Calls' AbortControllers are reused while they have not aborted: making one per call showed in
 * profiles of the sandbox. The runtime removes its listeners when a call ends, so a reused
 * signal carries nothing over.
 */
const idleControllers: AbortController[] = [];

function takeController(): AbortController {
  return idleControllers.pop() ?? new AbortController();
}

function giveBack(c: AbortController): void {
  if (!c.signal.aborted && idleControllers.length < 256) idleControllers.push(c);
}

/** Runs work the host may cancel (its caller gave up, or its deadline passed). */
function cancellable(id: number, work: (signal: AbortSignal) => Promise<unknown>): void {
  const controller = new AbortController();
  calls.set(id, controller);
  answer(
    id,
    () => work(controller.signal),
    () => calls.delete(id),
  );
}

/** The events of an `events-json` message: the node checked each one before it sent their bytes. */
function parseEvents(json: Uint8Array): EventEnvelope[] {
  const events = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8')) as unknown;
  if (!Array.isArray(events)) throw new InsightsError('INTERNAL', 'the node sent an event batch that is not a list');
  return events as EventEnvelope[];
}

function need(): ModuleRuntime {
  if (runtime === undefined) throw new InsightsError('UNAVAILABLE', 'the module is not loaded yet');
  return runtime;
}

function answer(id: number, work: () => Promise<unknown>, after?: () => void): void {
  Promise.resolve()
    .then(work)
    .then(
      (value) => out.push({ type: 'done', id, value }),
      (e: unknown) => out.push({ type: 'failed', id, error: toWireError(e) }),
    )
    .finally(after);
}

async function close(): Promise<void> {
  // The db is the node's (remote-db.ts): nothing to flush here beyond what is queued.
  await env?.db.close().catch(() => undefined);
  out.flush();
  port.exit(0);
}
