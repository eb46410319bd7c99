// Builds the running worker from a validated configuration: connection (TLS/mTLS or API key),
// activities, payload codec, metrics interceptors and sinks, workflow bundle.
import { existsSync, readFileSync } from 'node:fs';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { dataConverterFromEnv, FAILURE_CONVERTER_PATH } from '../codec';
import { activityMetricsInterceptor, livenessHeartbeatInterceptor } from './activity-interceptors';
import { tuningOptions, type WorkerConfig } from './config';
import type { WorkerMetrics } from './metrics';
import { LEAN_BUNDLE_OPTIONS } from './bundle-options';
import { DEFAULT_BUNDLE_PATH, WORKFLOW_INTERCEPTORS_PATH, WORKFLOWS_PATH } from './paths';
import { activityTracingInterceptors, startTracing, workflowTracingSinks } from '../telemetry/tracing';

export async function connect(config: WorkerConfig): Promise<NativeConnection> {
  const { address, tls, apiKey, metadata } = config.temporal;
  return NativeConnection.connect({
    address,
    apiKey,
    metadata,
    tls: tls
      ? {
          serverNameOverride: tls.serverName,
          serverRootCACertificate: tls.caFile ? readFileSync(tls.caFile) : undefined,
          clientCertPair:
            tls.certFile && tls.keyFile
              ? { crt: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }
              : undefined,
        }
      : apiKey
        ? true
        : undefined, // Temporal Cloud API keys need TLS
  });
}

/** The prebuilt bundle when there is one (production), else bundling from source at start (development). */
export function workflowSource(config: WorkerConfig): {
  mode: 'prebuilt' | 'source';
  options: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>;
} {
  const codePath = config.workflowBundlePath ?? (existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
  return codePath
    ? { mode: 'prebuilt', options: { workflowBundle: { codePath } } }
    : { mode: 'source', options: { workflowsPath: WORKFLOWS_PATH, bundlerOptions: LEAN_BUNDLE_OPTIONS } };
}

export async function createWorker(
  config: WorkerConfig,
  connection: NativeConnection,
  metrics: WorkerMetrics,
  activities = createActivities(config.activities),
): Promise<{ worker: Worker; mode: 'prebuilt' | 'source' }> {
  const source = workflowSource(config);
  // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (validated with the rest of the configuration).
  const tracing = startTracing(config.env, 'hwayo-release-worker');
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...source.options,
    activities,
    // The prebuilt bundle always carries the failure converter (scripts/bundle-workflows.ts); use it here too.
    dataConverter: { ...dataConverterFromEnv(config.env), failureConverterPath: FAILURE_CONVERTER_PATH },
    interceptors: {
      // Tracing first: the metrics interceptor's time then falls inside the RunActivity span.
      // Liveness heartbeats: a dead worker's attempts are retried after their 10 s heartbeat timeout.
      activity: [
        ...activityTracingInterceptors(tracing),
        activityMetricsInterceptor(metrics),
        livenessHeartbeatInterceptor,
      ],
      // The prebuilt bundle already contains them (scripts/bundle-workflows.ts).
      workflowModules: source.mode === 'source' ? [WORKFLOW_INTERCEPTORS_PATH] : [],
    },
    sinks: { ...metrics.sinks(), ...workflowTracingSinks(tracing) },
    // In-flight activities get this long to finish on shutdown; after it they are cancelled and the
    // server retries them elsewhere (long ones resume from their last heartbeat).
    shutdownGraceTime: config.shutdownGraceMs,
    // Heartbeats reach the server at least every 3 s (the default is 80% of the timeout: 8 s of 10 s).
    maxHeartbeatThrottleInterval: '3s',
    // A dead worker's sticky queue holds the release's next task this long before any worker may take it
    // (HWAYO_STICKY_QUEUE_TIMEOUT_MS, in tuningOptions below, overrides it).
    stickyQueueScheduleToStartTimeout: '3s',
    ...tuningOptions(config.tuning),
    shutdownForceTime: config.shutdownGraceMs + 10_000,
  });
  return { worker, mode: source.mode };
}
