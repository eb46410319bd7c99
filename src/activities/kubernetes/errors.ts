// Maps Kubernetes API failures onto the project's failure types (src/activities/errors.ts):
// 401/403 and 404 and 400/422 cannot be fixed by a retry; 409, 429, 5xx and network errors can.
import { ApplicationFailure } from '@temporalio/common';
import { traced } from '../../telemetry/tracing';
import { nonRetryable, retryable } from '../errors';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** HTTP status of a client-node ApiException (or our RawApiError), undefined for anything else. */
export function statusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

export const isNotFound = (err: unknown) => statusOf(err) === 404;
export const isConflict = (err: unknown) => statusOf(err) === 409;

/** The apiserver's own message (metav1.Status.message) when the body carries one. */
function serverMessage(err: unknown): string | undefined {
  if (!err || typeof err !== 'object' || !('body' in err)) return undefined;
  let body: unknown = err.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return text.slice(0, 300) || undefined;
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return undefined;
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if ('code' in e && typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    if ('errno' in e && typeof e.errno === 'string' && NETWORK_CODES.has(e.errno)) return e.errno;
    e = 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}

/** Classifies any failure of a Kubernetes call; `what` says which call ("read deployment x/y"). */
export function kubeFailure(err: unknown, what: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const status = statusOf(err);
  const message = `${what}: ${serverMessage(err) ?? (err instanceof Error ? err.message : String(err))}`;
  const details = { status, what };
  switch (true) {
    case status === 401 || status === 403:
      return nonRetryable('PermissionDenied', message, details);
    case status === 404:
      return nonRetryable('NotFound', message, details);
    case status === 400 || status === 422:
      return nonRetryable('InvalidInput', message, details);
    case status === 409:
      return retryable('Conflict', message, details);
    case status !== undefined:
      return retryable('Unavailable', message, details);
    case networkCode(err) !== undefined:
      return retryable('Unavailable', `${what}: ${networkCode(err)} (${message})`, details);
    default:
      return retryable('Unavailable', message, details);
  }
}

/**
 * A kube-apiserver that has just restarted answers 403 until its RBAC cache has synced ("clusterrole ...
 * not found"): a release's traffic move and then its rollback failed as PermissionDenied and left the
 * route half-moved (chaos suite, test/chaos/outages.test.ts). A 403 is believed once it has
 * lasted `graceMs`; a 403 means the call was refused, so asking again is safe.
 */
export const FORBIDDEN_GRACE_MS = 10_000;
export async function retryForbidden<T>(
  call: () => Promise<T>,
  graceMs = FORBIDDEN_GRACE_MS,
  pauseMs = 1000,
): Promise<T> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (statusOf(err) !== 403 || Date.now() + pauseMs > deadline) throw err;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** Runs one API call and rethrows its failure classified. */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await traced(`k8s ${what}`, { 'rpc.system': 'kubernetes' }, () => retryForbidden(call));
  } catch (err) {
    throw kubeFailure(err, what);
  }
}

/** Runs one API call; a 404 gives undefined (for objects that may legitimately be missing). */
export async function kubeCallOptional<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    // A 404 is an answer here, not a failed call: its span ends ok.
    return await traced(`k8s ${what}`, { 'rpc.system': 'kubernetes' }, async (span) => {
      try {
        return await retryForbidden(call);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        span.setAttribute('hwayo.not_found', true);
        return undefined;
      }
    });
  } catch (err) {
    throw kubeFailure(err, what);
  }
}

/**
 * Read-modify-write with optimistic concurrency: `attempt` reads, changes and writes with the
 * resourceVersion it read; a 409 (another writer got in between) runs it again on fresh state.
 */
export async function retryOnConflict<T>(what: string, attempt: () => Promise<T>, maxAttempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      // Each read-modify-write attempt is one span (traces show conflicts as retried attempts).
      return await traced(`k8s ${what}`, { 'rpc.system': 'kubernetes', 'hwayo.attempt': i }, () =>
        retryForbidden(attempt),
      );
    } catch (err) {
      if (!isConflict(err) || i >= maxAttempts) throw kubeFailure(err, what);
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** i, 1000) * (0.5 + Math.random() / 2)));
    }
  }
}
