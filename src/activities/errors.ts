// Failures are classified once: bad input, permission denied and must-exist-but-missing are not
// retryable (a retry cannot fix them); everything else is left to the activity's retry policy.
import { ApplicationFailure } from '@temporalio/common';

export type FailureType =
  | 'InvalidInput'
  | 'PermissionDenied'
  | 'NotFound'
  | 'Conflict'
  | 'Timeout'
  | 'Unavailable'
  | 'NotImplemented'
  // An existing namespace this app did not create: never adopted, never deleted on rollback.
  | 'NamespaceNotOwned';

export function nonRetryable(type: FailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    details: details === undefined ? undefined : [details],
  });
}

export function retryable(type: FailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: false,
    details: details === undefined ? undefined : [details],
  });
}

/** Marks code that a later change must fill in; never reported as working. */
export function notImplemented(activity: string): never {
  throw nonRetryable('NotImplemented', `activity ${activity} is not implemented yet`);
}
