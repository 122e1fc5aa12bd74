import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { NodeConfig } from './config.ts';

/** The W3C header and gRPC/NATS field name. */
export const TRACEPARENT = 'traceparent';

/**
 * OpenTelemetry for one node. Off unless the config names an OTLP endpoint (or a test hands in an
 * exporter): then every call is a SERVER span whose parent is the caller's `traceparent`, nested
 * calls carry this span on (the client reads the active context), and events carry the context
 * of the ingest that published them.
 */
export interface NodeTracing {
  readonly tracer: Tracer;
  /** Runs `fn` inside a span; `parent` is a W3C traceparent ('' or undefined: a new trace). */
  span<T>(
    name: string,
    parent: string | undefined,
    attributes: Attributes,
    fn: () => Promise<T>,
    kind?: SpanKind,
    links?: Link[],
  ): Promise<T>;
  /** The active span's traceparent, for headers of published events ('' when none). */
  current(): string;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Spans go here instead of OTLP (tests use an InMemorySpanExporter); exported as soon as they end. */
  exporter?: SpanExporter | undefined;
}

let contextManagerSet = false;

/**
 * Starts tracing when configured, else returns undefined (and the call path skips every tracing
 * step). The provider is the node's own, so nodes sharing a process keep their service identity;
 * only the context manager is process-wide, because the OpenTelemetry API has one.
 */
export function startTracing(config: NodeConfig, options: TracingOptions = {}): NodeTracing | undefined {
  const url = config.tracing.otlpUrl;
  if (url === undefined && options.exporter === undefined) return undefined;
  if (!contextManagerSet) {
    // AsyncLocalStorage carries the active span across awaits into a module's nested calls.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const processor =
    options.exporter !== undefined
      ? new SimpleSpanProcessor(options.exporter)
      : new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.tracing.serviceName,
      'service.instance.id': config.id,
      'insights.node.labels': config.labels.join(','),
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.tracing.sampleRatio) }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('@insights/node');
  return {
    tracer,
    async span(name, parent, attributes, fn, kind = SpanKind.SERVER, links) {
      const parentCtx = contextFrom(parent);
      const span = tracer.startSpan(name, { kind, attributes, ...(links === undefined ? {} : { links }) }, parentCtx);
      try {
        const out = await context.with(trace.setSpan(parentCtx, span), fn);
        span.setStatus({ code: SpanStatusCode.OK });
        return out;
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        span.setAttribute('insights.error.code', typeof code === 'string' ? code : 'INTERNAL');
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
        throw e;
      } finally {
        span.end();
      }
    },
    current: () => formatTraceparent(trace.getSpanContext(context.active())),
    shutdown: () => provider.shutdown(),
  };
}

/** A Context whose remote parent is `traceparent` (ROOT when absent or malformed). */
export function contextFrom(traceparent: string | undefined): Context {
  const sc = parseTraceparent(traceparent);
  return sc === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, sc);
}

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(v: string | undefined): SpanContext | undefined {
  if (v === undefined || v === '') return undefined;
  const m = TRACEPARENT_RE.exec(v);
  if (m === null || /^0+$/.test(m[1] as string) || /^0+$/.test(m[2] as string)) return undefined;
  return {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: parseInt(m[3] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

export function formatTraceparent(sc: SpanContext | undefined): string {
  if (sc === undefined || !trace.isSpanContextValid(sc)) return '';
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}
