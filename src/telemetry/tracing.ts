// Traces of releases, off by default: OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) turns them on,
// as the OpenTelemetry conventions say, and spans go there over OTLP/HTTP (e.g. Jaeger on :4318).
// The CLI's `start` opens the trace (Temporal's client interceptor), the workflow carries it on
// (src/workflows/trace-interceptors.ts) and every activity's calls to Kubernetes, Prometheus and AWS are its
// child spans (`traced`). One provider per process: the CLI and a worker in one process share it.
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityInterceptors, InjectedSinks } from '@temporalio/worker';

export const TRACER_NAME = 'hwayo-release';
const VERSION = '0.1.0';

export interface Tracing {
  resource: Resource;
  processor: SpanProcessor;
  /** Sends what is buffered (the CLI calls it before exiting). */
  flush(): Promise<void>;
}

let active: Tracing | undefined;

/**
 * The OTLP/HTTP traces URL the environment asks for, undefined when tracing is off; a bad URL is an error naming the
 * variable.
 */
export function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const [name, base] = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]
    : ['OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT];
  if (!base) return undefined;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new Error(`${name} must be an http(s) URL such as http://127.0.0.1:4318, got "${base}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${name} must be an http(s) URL such as http://127.0.0.1:4318, got "${base}"`);
  // The signal-specific variable is the full URL; the general one is a base the path is added to.
  return name === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' ? base : `${base.replace(/\/$/, '')}/v1/traces`;
}

/**
 * Starts tracing for this process when the environment asks for it (once; later calls return the same),
 * registering the global provider so `traced` spans and Temporal's interceptors export.
 */
export function startTracing(env: NodeJS.ProcessEnv, serviceName: string): Tracing | undefined {
  if (active) return active;
  const url = tracesUrl(env);
  if (!url) return undefined;
  const resource = new Resource({
    [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || serviceName,
    [ATTR_SERVICE_VERSION]: VERSION,
  });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  active = { resource, processor, flush: () => provider.forceFlush() };
  return active;
}

/** Flushes the process's spans, if tracing is on (before exit). */
export async function flushTracing(): Promise<void> {
  await active?.flush().catch(() => undefined);
}

/** The client interceptor that opens a release's trace (`StartWorkflow:releaseWorkflow`), when tracing is on. */
export function clientTracingInterceptors(tracing: Tracing | undefined) {
  return tracing ? [new OpenTelemetryWorkflowClientInterceptor()] : [];
}

/**
 * The worker's activity interceptor (RunActivity spans, children of the workflow's StartActivity), when tracing is on.
 */
export function activityTracingInterceptors(
  tracing: Tracing | undefined,
): ((ctx: ActivityContext) => ActivityInterceptors)[] {
  if (!tracing) return [];
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
}

/**
 * The `exporter` sink the bundled workflow interceptors call with finished workflow spans: OTLP when
 * tracing is on, nothing otherwise (the bundle always traces; the worker decides whether it leaves).
 */
export function workflowTracingSinks(tracing: Tracing | undefined): InjectedSinks<OpenTelemetrySinks> {
  return {
    exporter: tracing ? makeWorkflowExporter(tracing.processor, tracing.resource) : { export: { fn: () => undefined } },
  };
}

/**
 * Runs `fn` in a child span of the current one (an activity's RunActivity): a call to another system.
 * Without a registered provider the span is a no-op. A thrown error marks the span failed.
 */
export async function traced<T>(
  name: string,
  attributes: otel.Attributes,
  fn: (span: otel.Span) => Promise<T>,
): Promise<T> {
  return otel.trace
    .getTracer(TRACER_NAME)
    .startActiveSpan(name, { kind: otel.SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.setStatus({ code: otel.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        if (err instanceof Error) span.recordException(err);
        throw err;
      } finally {
        span.end();
      }
    });
}

/**
 * AWS SDK v3 clients: every command becomes a child span (`aws S3.HeadBucket`), through a middleware at
 * the start of the client's stack (it sees the command once, whatever the SDK retries inside).
 */
export function tracedAwsClient<C extends { middlewareStack: object }>(client: C): C {
  // Typed loosely: each client's stack is generic over its own commands; this middleware only passes them on.
  (client.middlewareStack as { add: AwsAdd }).add(
    (next, context) => async (args) => {
      const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
      const operation = (context.commandName ?? 'call').replace(/Command$/, '');
      return traced(
        `aws ${service}.${operation}`,
        { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': operation },
        () => next(args),
      );
    },
    { step: 'initialize', name: 'hwayoTracing', override: true },
  );
  return client;
}

type AwsAdd = (
  middleware: (
    next: (args: unknown) => Promise<unknown>,
    context: { clientName?: string; commandName?: string },
  ) => (args: unknown) => Promise<unknown>,
  options: { step: 'initialize'; name: string; override: boolean },
) => void;
