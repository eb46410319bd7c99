// Maps errors from HTTP services and the AWS SDK onto the failure types of errors.ts: what a retry
// cannot fix (bad input, permission denied, missing resource) is non-retryable; the rest is retryable.
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable, retryable } from './errors';
import { NetworkFailure } from './http';

/** A failure for an HTTP status from `what` (e.g. "Slack webhook for #hwayo-critical"). */
export function httpStatusFailure(what: string, status: number, body: string): ApplicationFailure {
  const msg = `${what} answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  if (status === 401 || status === 403) return nonRetryable('PermissionDenied', msg);
  if (status === 404 || status === 410) return nonRetryable('NotFound', msg);
  if (status === 408 || status === 429 || status >= 500) return retryable('Unavailable', msg);
  return nonRetryable('InvalidInput', msg);
}

/** Network failures (refused, reset, timed out) are always worth a retry. */
export function networkFailure(what: string, err: NetworkFailure): ApplicationFailure {
  return retryable(err.kind === 'timeout' ? 'Timeout' : 'Unavailable', `${what}: ${err.message}`);
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const NOT_FOUND = /NotFound|NoSuch|Nonexistent|DoesNotExist/;
const DENIED =
  /AccessDenied|Unauthorized|Forbidden|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|AuthFailure/;
const INVALID = /Validation|InvalidParameter|Invalid.*(Value|Combination|State|Request)|MissingParameter|Malformed/;
const THROTTLED = /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/;

/** True when the AWS error means the named resource does not exist. */
export function isAwsNotFound(err: unknown): boolean {
  const e = err as AwsErrorShape;
  return NOT_FOUND.test(e?.name ?? '') || e?.$metadata?.httpStatusCode === 404;
}

/** Classifies an AWS SDK error raised while doing `what` ("restoring hwayo-prod-db-restored"). */
export function awsFailure(what: string, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const e = err as AwsErrorShape;
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const msg = `${what}: ${name}: ${e?.message ?? String(err)}`;
  if (THROTTLED.test(name) || status === 429) return retryable('Unavailable', msg);
  if (DENIED.test(name) || status === 403 || status === 401) return nonRetryable('PermissionDenied', msg);
  if (isAwsNotFound(err)) return nonRetryable('NotFound', msg);
  if (/AlreadyExists|Conflict/.test(name) || status === 409) return nonRetryable('Conflict', msg);
  if (INVALID.test(name) || (e?.$fault === 'client' && status !== undefined && status < 500))
    return nonRetryable('InvalidInput', msg);
  if (name === 'TimeoutError') return retryable('Timeout', msg);
  // 5xx, connection refused/reset, DNS: the service or the path to it may come back.
  return retryable('Unavailable', msg);
}
