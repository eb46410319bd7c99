// How the CLI reaches Temporal: address and namespace from flags or the environment (the same
// variable names as the `temporal` CLI), optional mTLS files and API key, and the project's payload
// codec so the CLI reads and writes exactly what the worker does.
import { readFileSync } from 'node:fs';
import { Client, Connection, isGrpcServiceError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { dataConverterFromEnv } from '../codec';
import { readTokenFile, tokenMetadata, TOKEN_FILE_VAR } from '../temporal-token';
import { clientTracingInterceptors, flushTracing, startTracing } from '../telemetry/tracing';
import { CliError, EXIT, usageError, type Io, type Options } from './cli';

export const CONNECTION_OPTIONS = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-server-name': { type: 'string' },
} as const satisfies Options;

export const CONNECTION_HELP = `Connection (flags override the environment):
  --address HOST:PORT      TEMPORAL_ADDRESS (default 127.0.0.1:7233)
  --namespace NAME         TEMPORAL_NAMESPACE (default "default")
  --tls-cert FILE          TEMPORAL_TLS_CLIENT_CERT_PATH or TEMPORAL_TLS_CERT (mTLS client certificate)
  --tls-key FILE           TEMPORAL_TLS_CLIENT_KEY_PATH or TEMPORAL_TLS_KEY
  --tls-ca FILE            TEMPORAL_TLS_SERVER_CA_CERT_PATH or TEMPORAL_TLS_CA
  --tls-server-name NAME   TEMPORAL_TLS_SERVER_NAME
  TEMPORAL_API_KEY         API key (environment only, so it never shows in a process list);
                           implies TLS. TEMPORAL_TLS=true turns on TLS without client files.
  HWAYO_TEMPORAL_TOKEN_FILE
                           your token (a file of mode 0600) for a cluster with authorization
                           (docs/security.md); sent over TLS, or in plaintext to loopback only.
  Payloads are encoded with the project codec configured from the environment (src/codec).`;

export interface Connected {
  client: Client;
  namespace: string;
  address: string;
  close(): Promise<void>;
}

const readFile = (path: string, what: string) => {
  try {
    return readFileSync(path);
  } catch (err) {
    throw usageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
};

export async function connect(values: Record<string, unknown>, io: Io): Promise<Connected> {
  const env = io.env;
  const pick = (flag: string, name: string) =>
    typeof values[flag] === 'string' && values[flag] ? (values[flag] as string) : env[name] || undefined;
  const address = pick('address', 'TEMPORAL_ADDRESS') ?? '127.0.0.1:7233';
  const namespace = pick('namespace', 'TEMPORAL_NAMESPACE') ?? 'default';
  // The temporal CLI's variable names, or the worker's shorter ones (src/worker/config.ts).
  const cert = pick('tls-cert', 'TEMPORAL_TLS_CLIENT_CERT_PATH') ?? (env.TEMPORAL_TLS_CERT || undefined);
  const key = pick('tls-key', 'TEMPORAL_TLS_CLIENT_KEY_PATH') ?? (env.TEMPORAL_TLS_KEY || undefined);
  const ca = pick('tls-ca', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH') ?? (env.TEMPORAL_TLS_CA || undefined);
  const serverName = pick('tls-server-name', 'TEMPORAL_TLS_SERVER_NAME');
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  if (Boolean(cert) !== Boolean(key)) throw usageError('--tls-cert and --tls-key go together');
  const useTls = Boolean(cert || ca || serverName || apiKey || env.TEMPORAL_TLS === 'true');
  const tls = useTls
    ? {
        serverNameOverride: serverName,
        serverRootCACertificate: ca ? readFile(ca, 'CA certificate') : undefined,
        clientCertPair:
          cert && key ? { crt: readFile(cert, 'client certificate'), key: readFile(key, 'client key') } : undefined,
      }
    : undefined;
  let metadata;
  try {
    const file = env[TOKEN_FILE_VAR];
    metadata = tokenMetadata(file ? readTokenFile(file) : undefined, address, useTls);
  } catch (err) {
    throw usageError(`${TOKEN_FILE_VAR}: ${(err as Error).message}`);
  }
  let dataConverter;
  try {
    dataConverter = dataConverterFromEnv(env);
  } catch (err) {
    throw usageError(`payload codec: ${(err as Error).message}`);
  }
  let tracing;
  try {
    tracing = startTracing(env, 'hwayo-release-cli');
  } catch (err) {
    throw usageError((err as Error).message);
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, tls, apiKey, metadata, connectTimeout: '5s' });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${address}: ${(err as Error).message}`, EXIT.unreachable);
  }
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, `start` opens the release's trace and passes it on in the headers.
  const client = new Client({
    connection,
    namespace,
    dataConverter,
    interceptors: { workflow: clientTracingInterceptors(tracing) },
  });
  return {
    client,
    namespace,
    address,
    close: async () => {
      await flushTracing();
      await connection.close();
    },
  };
}

/** Runs `fn` with a connection, always closing it; maps Temporal errors to exit codes. */
export async function withClient<T>(
  values: Record<string, unknown>,
  io: Io,
  fn: (c: Connected) => Promise<T>,
): Promise<T> {
  const c = await connect(values, io);
  try {
    return await fn(c);
  } catch (err) {
    throw translate(err, c.address);
  } finally {
    await c.close().catch(() => undefined);
  }
}

/** Temporal errors as CLI errors with the documented exit codes. */
export function translate(err: unknown, address: string): unknown {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowNotFoundError)
    return new CliError(`no release with id "${err.workflowId}" (${err.message})`, EXIT.refused);
  if (isGrpcServiceError(err) || isGrpcServiceError((err as { cause?: unknown })?.cause)) {
    const e = (isGrpcServiceError(err) ? err : (err as { cause: unknown }).cause) as {
      code: number;
      details?: string;
      message: string;
    };
    // 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED: the server is not there (or not answering).
    if (e.code === 14 || e.code === 4)
      return new CliError(`cannot reach Temporal at ${address}: ${e.details ?? e.message}`, EXIT.unreachable);
    if (e.code === 5) return new CliError(`not found: ${e.details ?? e.message}`, EXIT.refused);
    if (e.code === 16 || e.code === 7)
      return new CliError(`not allowed by Temporal: ${e.details ?? e.message}`, EXIT.refused);
  }
  return err;
}

/** The release's handle after checking it exists; `running` says whether it still runs. */
export async function releaseHandle(
  client: Client,
  workflowId: string,
): Promise<{ handle: WorkflowHandle; running: boolean; firstRunId: string; status: string }> {
  const handle = client.workflow.getHandle(workflowId);
  let d;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(`no release with id "${workflowId}" (list releases with: hwayo-release list)`, EXIT.refused);
    throw err;
  }
  const firstRunId = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
  return { handle, running: d.status.name === 'RUNNING', firstRunId, status: d.status.name };
}
