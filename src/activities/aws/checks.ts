// What an AWS preflight check makes of an SDK error (../preflight/ holds the checks).
import { awsFailure } from '../classify';
import type { CheckResult } from '../contract';

/** A not-found or permission error is the check's answer; anything else is thrown for a retry. */
export function answerOrThrow(name: string, what: string, err: unknown): CheckResult {
  const failure = awsFailure(what, err);
  if (failure.type === 'NotFound' || failure.type === 'PermissionDenied')
    return { name, ok: false, detail: failure.message };
  throw failure;
}
