// One HTTP call with a deadline, telling apart "no answer in time" from "could not connect or the
// connection broke": callers report or retry these differently.
export type NetworkFailureKind = 'timeout' | 'unreachable';

export class NetworkFailure extends Error {
  constructor(
    readonly kind: NetworkFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkFailure';
  }
}

export interface HttpResponse {
  status: number;
  text: string;
}

/** fetch() with a timeout; network-level failures become NetworkFailure, HTTP statuses are returned. */
export async function httpRequest(url: string, init: RequestInit & { timeoutMs: number }): Promise<HttpResponse> {
  const { timeoutMs, ...rest } = init;
  try {
    const res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    throw toNetworkFailure(err, timeoutMs);
  }
}

export function toNetworkFailure(err: unknown, timeoutMs: number): NetworkFailure {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return new NetworkFailure('timeout', `no answer within ${timeoutMs} ms`);
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new NetworkFailure('unreachable', `connection failed (${cause})`);
}

/**
 * The URL without credentials or query, safe for messages and history (webhook tokens live in paths, so callers pick).
 */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
