// The worker's configuration: environment variables, optionally from a YAML/JSON file of the same
// names (`--config FILE` or HWAYO_WORKER_CONFIG; the environment wins). Validated before anything
// starts, with every problem reported by variable name.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { LogLevel } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import { activityConfigFromEnv, DEFAULT_POLICY, policyLocation, type ActivityConfig } from '../activities/config';
import { readPrivateKey } from '../client/keys';
import { parseCodecKeys } from '../codec/keys';
import { KEYS_REQUIRED } from '../codec/mode';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions';
import { clusterQueue } from '../policy/clusters';
import { readTokenFile, tokenMetadata, TOKEN_FILE_VAR } from '../temporal-token';
import { readWebhookToken } from './alert-webhook';

export interface WorkerConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** A cluster's worker (HWAYO_CLUSTER): polls only `hwayo-<cluster>`, its activities, no workflows. */
    cluster?: string;
    tls?: { certFile?: string; keyFile?: string; caFile?: string; serverName?: string };
    apiKey?: string;
    /** gRPC metadata with the bearer token of HWAYO_TEMPORAL_TOKEN_FILE (src/temporal-token.ts). */
    metadata?: Record<string, string>;
  };
  http: { host: string; port: number };
  /** Alertmanager's webhook on loopback, with its bearer token; absent: off. */
  alertWebhook?: { port: number; token: string };
  /** 0 turns the SDK's Prometheus endpoint off. */
  sdkMetricsPort: number;
  shutdownGraceMs: number;
  /** Worker tuning (docs/deployment.md, "Sizing workers"); undefined: the SDK's default. */
  tuning: { maxCachedWorkflows?: number; maxConcurrentWorkflowTaskExecutions?: number; stickyQueueTimeoutMs?: number };
  logLevel: LogLevel;
  /** Prebuilt workflow bundle; when missing the worker bundles src/workflows at start (development). */
  workflowBundlePath?: string;
  /** The merged variables: activities and the codec read theirs from here. */
  env: NodeJS.ProcessEnv;
  activities: ActivityConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid worker configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Every variable the worker reads, with what it is for (also the list docs/operations.md explains). */
export const VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'HWAYO_TASK_QUEUE',
  'HWAYO_CLUSTER',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS',
  'TEMPORAL_API_KEY',
  'HWAYO_TEMPORAL_TOKEN_FILE',
  'HWAYO_WORKER_HTTP_HOST',
  'HWAYO_WORKER_HTTP_PORT',
  'HWAYO_ALERT_WEBHOOK_TOKEN_FILE',
  'HWAYO_ALERT_WEBHOOK_PORT',
  'HWAYO_SDK_METRICS_PORT',
  'HWAYO_SHUTDOWN_GRACE_MS',
  'HWAYO_MAX_CACHED_WORKFLOWS',
  'HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS',
  'HWAYO_STICKY_QUEUE_TIMEOUT_MS',
  'HWAYO_LOG_LEVEL',
  'HWAYO_WORKFLOW_BUNDLE',
  'HWAYO_CODEC_KEYS',
  'HWAYO_CODEC',
  'HWAYO_POLICY',
  'HWAYO_ATTESTATION_KEY',
  'KUBECONFIG',
  'HWAYO_KUBE_IN_CLUSTER',
  'HWAYO_FIELD_MANAGER',
  'HWAYO_KUBE_ENVIRONMENT_ROLE',
  'PROMETHEUS_URL',
  'PROMETHEUS_TIMEOUT_MS',
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'DATABASE_URL',
  'REDIS_URL',
  'SLACK_WEBHOOK_URL',
  'PAGERDUTY_EVENTS_URL',
  'PAGERDUTY_ROUTING_KEY',
  'SMTP_URL',
  'SMTP_FROM',
  'HWAYO_TLS_CA_FILE',
  'HWAYO_EVIDENCE_ROOT',
  'HWAYO_EVIDENCE_BUCKET',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_SERVICE_NAME',
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
] as const;
const SLACK_CHANNEL_VAR = /^SLACK_WEBHOOK_URL_[A-Z0-9_]+$/;

const optional = (s: z.ZodString) => s.optional();
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const readableFile = z.string().refine((p) => isReadable(p), { message: 'file does not exist or is not readable' });
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );
const bool = z.enum(['true', 'false']).optional();

const schema = z
  .object({
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port')
      .default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    HWAYO_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
    HWAYO_CLUSTER: optional(
      z.string().regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'must be a cluster name of the policy'),
    ),
    TEMPORAL_TLS_CERT: readableFile.optional(),
    TEMPORAL_TLS_KEY: readableFile.optional(),
    TEMPORAL_TLS_CA: readableFile.optional(),
    TEMPORAL_TLS_SERVER_NAME: optional(z.string().min(1)),
    TEMPORAL_TLS: bool,
    TEMPORAL_API_KEY: optional(z.string().min(1)),
    HWAYO_TEMPORAL_TOKEN_FILE: optional(z.string().min(1)),
    HWAYO_WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    HWAYO_WORKER_HTTP_PORT: port(9464),
    HWAYO_SDK_METRICS_PORT: port(9465),
    // Alertmanager's webhook (src/worker/alert-webhook.ts): on with a token file, always on 127.0.0.1.
    HWAYO_ALERT_WEBHOOK_TOKEN_FILE: optional(z.string().min(1)),
    HWAYO_ALERT_WEBHOOK_PORT: port(9466),
    HWAYO_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
    // Releases kept in memory between tasks (one that is not replays its history on its next task).
    HWAYO_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).optional(),
    HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).optional(),
    // After this long without a poll of a worker's sticky queue, its releases' tasks go to any worker.
    HWAYO_STICKY_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).optional(),
    HWAYO_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    HWAYO_WORKFLOW_BUNDLE: readableFile.optional(),
    HWAYO_CODEC_KEYS: z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        try {
          parseCodecKeys(v, 'keys');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^keys: /, '') });
        }
      }),
    // Payloads are encrypted unless this says off (a local stack, tests): checked with the keys below.
    HWAYO_CODEC: z.enum(['required', 'off']).optional(),
    HWAYO_POLICY: z
      .string()
      .optional()
      .refine((v) => policyLocation(v) !== undefined, {
        message: `must be configmap:NAMESPACE/NAME (default ${DEFAULT_POLICY}) or none (a local stack only)`,
      }),
    HWAYO_ATTESTATION_KEY: z
      .string()
      .optional()
      .superRefine((file, ctx) => {
        if (file === undefined) return;
        try {
          readPrivateKey(file);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    KUBECONFIG: readableFile.optional(),
    HWAYO_KUBE_IN_CLUSTER: bool,
    HWAYO_FIELD_MANAGER: optional(z.string().min(1)),
    HWAYO_KUBE_ENVIRONMENT_ROLE: optional(
      z.string().regex(/^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/, 'must be a ClusterRole name'),
    ),
    PROMETHEUS_URL: url(['http:', 'https:']).optional(),
    PROMETHEUS_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
    AWS_REGION: optional(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as ap-northeast-1')),
    AWS_ENDPOINT_URL: url(['http:', 'https:']).optional(),
    AWS_ACCESS_KEY_ID: optional(z.string().min(1)),
    AWS_SECRET_ACCESS_KEY: optional(z.string().min(1)),
    DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    REDIS_URL: url(['redis:', 'rediss:']).optional(),
    SLACK_WEBHOOK_URL: url(['http:', 'https:']).optional(),
    PAGERDUTY_EVENTS_URL: url(['http:', 'https:']).optional(),
    PAGERDUTY_ROUTING_KEY: optional(z.string().min(1)),
    SMTP_URL: url(['smtp:', 'smtps:']).optional(),
    SMTP_FROM: optional(z.string().min(3)),
    HWAYO_TLS_CA_FILE: readableFile.optional(),
    HWAYO_EVIDENCE_ROOT: z
      .string()
      .refine((p) => isDirectory(p), { message: 'must be an existing, readable directory' })
      .optional(),
    HWAYO_EVIDENCE_BUCKET: optional(
      z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    ),
    // Tracing (src/telemetry/tracing.ts): off unless an endpoint is set; spans go over OTLP/HTTP.
    OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:']).optional(),
    OTEL_SERVICE_NAME: optional(z.string().min(1)),
    OTEL_SDK_DISABLED: bool,
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.HWAYO_CODEC_KEYS?.trim() && v.HWAYO_CODEC !== 'off')
      ctx.addIssue({ code: 'custom', path: ['HWAYO_CODEC_KEYS'], message: `not set: ${KEYS_REQUIRED}` });
    if (!!v.TEMPORAL_TLS_CERT !== !!v.TEMPORAL_TLS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: [v.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'],
        message: 'mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
      });
    }
    if (v.HWAYO_KUBE_IN_CLUSTER === 'true' && v.KUBECONFIG) {
      ctx.addIssue({
        code: 'custom',
        path: ['HWAYO_KUBE_IN_CLUSTER'],
        message: 'choose one of KUBECONFIG and HWAYO_KUBE_IN_CLUSTER=true',
      });
    }
    if (v.HWAYO_KUBE_IN_CLUSTER !== 'true' && !v.KUBECONFIG) {
      ctx.addIssue({
        code: 'custom',
        path: ['KUBECONFIG'],
        message: 'set KUBECONFIG (a kubeconfig file) or HWAYO_KUBE_IN_CLUSTER=true',
      });
    }
    if (!!v.AWS_ACCESS_KEY_ID !== !!v.AWS_SECRET_ACCESS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['AWS_SECRET_ACCESS_KEY'],
        message:
          'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together (or neither, for the default credential chain)',
      });
    }
    if (v.HWAYO_SDK_METRICS_PORT !== 0 && v.HWAYO_SDK_METRICS_PORT === v.HWAYO_WORKER_HTTP_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['HWAYO_SDK_METRICS_PORT'],
        message: 'must differ from HWAYO_WORKER_HTTP_PORT',
      });
    }
  });

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory() && isReadable(path);
  } catch {
    return false;
  }
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reads a YAML or JSON file of VARIABLE: value pairs. */
export function readConfigFile(path: string): Record<string, string> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError([`config file ${file} does not exist`]);
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8')); // YAML is a superset of JSON
  } catch (err) {
    throw new ConfigError([`config file ${file}: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError([`config file ${file}: must be a mapping of VARIABLE: value`]);
  const problems: string[] = [];
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!(VARIABLES as readonly string[]).includes(key) && !SLACK_CHANNEL_VAR.test(key))
      problems.push(`config file ${file}: unknown setting ${key}`);
    else if (typeof value === 'object' && value !== null)
      problems.push(`config file ${file}: ${key} must be a string, number or boolean`);
    else if (value !== null && value !== undefined) out[key] = String(value);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** `--config FILE` from argv, else HWAYO_WORKER_CONFIG. */
export function configFileArg(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i >= 0) {
    const value = argv[i].includes('=') ? argv[i].slice('--config='.length) : argv[i + 1];
    if (!value) throw new ConfigError(['--config needs a file path']);
    return value;
  }
  return env.HWAYO_WORKER_CONFIG || undefined;
}

/** The tuning variables that are set, as Worker options (an option given as undefined would
 * replace the SDK's default with undefined). */
export function tuningOptions(t: WorkerConfig['tuning']): Partial<WorkerOptions> {
  return {
    ...(t.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: t.maxCachedWorkflows } : {}),
    ...(t.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: t.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(t.stickyQueueTimeoutMs !== undefined ? { stickyQueueScheduleToStartTimeout: t.stickyQueueTimeoutMs } : {}),
  };
}

const wantsTls = (v: z.infer<typeof schema>) =>
  v.TEMPORAL_TLS === 'true' || !!(v.TEMPORAL_TLS_CERT || v.TEMPORAL_TLS_CA || v.TEMPORAL_TLS_SERVER_NAME);

/** The token's metadata; a problem (unreadable file, readable by others, plaintext off loopback) is listed. */
function temporalMetadata(v: z.infer<typeof schema>, problems: string[]): Record<string, string> | undefined {
  if (!v.HWAYO_TEMPORAL_TOKEN_FILE) return undefined;
  // TLS as connect() (src/worker/start.ts) decides it: an API key or any TLS setting.
  const tls = wantsTls(v) || !!v.TEMPORAL_API_KEY;
  try {
    return tokenMetadata(readTokenFile(v.HWAYO_TEMPORAL_TOKEN_FILE), v.TEMPORAL_ADDRESS, tls);
  } catch (err) {
    problems.push(`${TOKEN_FILE_VAR}: ${(err as Error).message}`);
    return undefined;
  }
}

/** The alert webhook's token, or undefined without a file; a problem with the file is listed. */
function webhookToken(file: string | undefined, problems: string[]): string | undefined {
  if (!file) return undefined;
  try {
    return readWebhookToken(file);
  } catch (err) {
    problems.push(`HWAYO_ALERT_WEBHOOK_TOKEN_FILE: ${(err as Error).message}`);
    return undefined;
  }
}

/** Builds and validates the configuration; throws ConfigError listing every problem. */
export function loadWorkerConfig(
  argv: string[] = process.argv.slice(2),
  processEnv: NodeJS.ProcessEnv = process.env,
): WorkerConfig {
  const file = configFileArg(argv, processEnv);
  const fromFile = file ? readConfigFile(file) : {};
  const env: NodeJS.ProcessEnv = { ...fromFile };
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined && v !== '') env[k] = v;
  const known = Object.fromEntries(VARIABLES.map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(known);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
  for (const [k, v] of Object.entries(env)) {
    if (SLACK_CHANNEL_VAR.test(k) && v && !url(['http:', 'https:']).safeParse(v).success)
      problems.push(`${k}: must be a URL (http: or https:)`);
  }
  const metadata = parsed.success ? temporalMetadata(parsed.data, problems) : undefined;
  const cluster = parsed.success ? parsed.data.HWAYO_CLUSTER : undefined;
  if (cluster && known.HWAYO_TASK_QUEUE !== undefined && known.HWAYO_TASK_QUEUE !== clusterQueue(cluster))
    problems.push(
      `HWAYO_TASK_QUEUE: a worker for cluster ${cluster} polls ${clusterQueue(cluster)} (leave HWAYO_TASK_QUEUE unset)`,
    );
  const alertToken = parsed.success ? webhookToken(parsed.data.HWAYO_ALERT_WEBHOOK_TOKEN_FILE, problems) : undefined;
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const v = parsed.data;
  const tlsWanted = wantsTls(v);
  return {
    temporal: {
      address: v.TEMPORAL_ADDRESS,
      namespace: v.TEMPORAL_NAMESPACE,
      taskQueue: cluster ? clusterQueue(cluster) : v.HWAYO_TASK_QUEUE,
      ...(cluster ? { cluster } : {}),
      tls: tlsWanted
        ? {
            certFile: v.TEMPORAL_TLS_CERT,
            keyFile: v.TEMPORAL_TLS_KEY,
            caFile: v.TEMPORAL_TLS_CA,
            serverName: v.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: v.TEMPORAL_API_KEY,
      metadata,
    },
    http: { host: v.HWAYO_WORKER_HTTP_HOST, port: v.HWAYO_WORKER_HTTP_PORT },
    ...(alertToken ? { alertWebhook: { port: v.HWAYO_ALERT_WEBHOOK_PORT, token: alertToken } } : {}),
    sdkMetricsPort: v.HWAYO_SDK_METRICS_PORT,
    shutdownGraceMs: v.HWAYO_SHUTDOWN_GRACE_MS,
    tuning: {
      maxCachedWorkflows: v.HWAYO_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: v.HWAYO_MAX_CONCURRENT_WORKFLOW_TASKS,
      stickyQueueTimeoutMs: v.HWAYO_STICKY_QUEUE_TIMEOUT_MS,
    },
    logLevel: v.HWAYO_LOG_LEVEL,
    workflowBundlePath: v.HWAYO_WORKFLOW_BUNDLE,
    env,
    activities: activityConfigFromEnv(env),
  };
}
