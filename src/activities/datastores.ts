// PostgreSQL `SELECT 1` and Redis `PING` with the worker's credentials (SEED 3.2 and 5.1). A refused or
// failed connection is the check's answer, so it comes back as a failed result, not an exception.
import Redis from 'ioredis';
import { Client } from 'pg';
import type { CheckResult } from './contract';

const TIMEOUT_MS = 5_000;

/** host:port of a connection URL, without the credentials. */
function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)}`;
  } catch {
    return '(unparsable URL)';
  }
}

const message = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e?.message || e?.code || String(err);
};

export async function checkPostgres(name: string, connectionString: string | undefined): Promise<CheckResult> {
  if (!connectionString)
    return { name, ok: false, detail: 'the worker has no database connection configured (DATABASE_URL)' };
  const where = endpointOf(connectionString);
  const client = new Client({
    connectionString,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
    statement_timeout: TIMEOUT_MS,
  });
  const started = Date.now();
  client.on('error', () => undefined); // errors after connect surface through the query promise
  try {
    await client.connect();
    const res = await client.query<{ ok: number }>('SELECT 1 AS ok');
    const latencyMs = Date.now() - started;
    if (res.rows[0]?.ok !== 1)
      return { name, ok: false, detail: `PostgreSQL at ${where} answered SELECT 1 with ${JSON.stringify(res.rows)}` };
    return {
      name,
      ok: true,
      detail: `PostgreSQL at ${where} accepts connections (SELECT 1 in ${latencyMs} ms)`,
      data: { latencyMs },
    };
  } catch (err) {
    return { name, ok: false, detail: `PostgreSQL at ${where} is not accepting connections: ${message(err)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(name: string, url: string | undefined): Promise<CheckResult> {
  if (!url) return { name, ok: false, detail: 'the worker has no Redis configured (REDIS_URL)' };
  const where = endpointOf(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported through the awaited calls below
  const started = Date.now();
  try {
    await redis.connect();
    const pong = await redis.ping();
    const latencyMs = Date.now() - started;
    if (pong !== 'PONG') return { name, ok: false, detail: `Redis at ${where} answered PING with ${pong}` };
    return { name, ok: true, detail: `Redis at ${where} answered PONG in ${latencyMs} ms`, data: { latencyMs } };
  } catch (err) {
    return { name, ok: false, detail: `Redis at ${where} did not answer PING: ${message(err)}` };
  } finally {
    redis.disconnect();
  }
}
