// Pod security of the namespaces a release creates: `restricted`, the strictest Pod Security Standard, so that
// nothing deployed into green can run privileged. The admission policy (deploy/kubernetes/rbac.yaml) refuses the
// worker any namespace created, or relabelled, to a weaker level.
import { nonRetryable } from '../errors';

export const POD_SECURITY_PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LABEL = `${POD_SECURITY_PREFIX}enforce`;
/** The strictest level (privileged < baseline < restricted): nothing blue has can be stricter, so never copied. */
export const RESTRICTED = 'restricted';

/**
 * The labels a release namespace is created with: `requested` plus `enforce: restricted`. Other pod-security labels
 * (a pinned `enforce-version`, warn/audit levels) are not the worker's to set, and a weaker level is bad input.
 */
export function releaseNamespaceLabels(requested: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(requested)) {
    if (!key.startsWith(POD_SECURITY_PREFIX)) continue;
    if (key !== ENFORCE_LABEL || value !== RESTRICTED)
      throw nonRetryable(
        'InvalidInput',
        `a release namespace is created at ${ENFORCE_LABEL}=${RESTRICTED} only; refused label ${key}=${value}`,
      );
  }
  return { ...requested, [ENFORCE_LABEL]: RESTRICTED };
}
