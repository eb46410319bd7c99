// Which namespaces are this app's, and the worker's access to a new one. The worker holds no Secret or
// workload permission cluster-wide (deploy/kubernetes/rbac.yaml): inside an environment namespace it
// acts through a RoleBinding to the environment ClusterRole. The platform makes that binding for the
// first blue; createNamespace makes it for each green it creates (RBAC lets the worker bind that one
// role, and the admission policy only in a registered environment namespace, only to itself).
import { heartbeat, sleep } from '@temporalio/activity';
import { PatchStrategy, type V1RoleBinding } from '@kubernetes/client-node';
import { nonRetryable, retryable } from '../errors';
import type { KubeClients } from './client';
import { kubeCall } from './errors';
import { MANAGED_BY, MANAGED_BY_LABEL } from './objects';

export const DEFAULT_ENVIRONMENT_ROLE = 'hwayo-release-worker-environment';
/** The RoleBinding's name in every environment namespace (the platform's for the first blue too). */
export const ACCESS_BINDING = 'hwayo-release-worker';

const canWriteSecrets = async (k: KubeClients, namespace: string) =>
  (
    await kubeCall(`review own access in ${namespace}`, () =>
      k.authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace, verb: 'create', resource: 'secrets' } } },
      }),
    )
  ).status?.allowed === true;

/**
 * Makes sure the worker can work inside `namespace`: nothing to do when it already can (the platform's
 * binding, or an admin identity); otherwise binds `role` to the worker's own ServiceAccount there and
 * waits until the authorizer has it (a 403 in the next activity would not be retried).
 */
export async function ensureEnvironmentAccess(
  k: KubeClients,
  namespace: string,
  role: string,
  waitMs = 30_000,
): Promise<{ bound: boolean }> {
  if (await canWriteSecrets(k, namespace)) return { bound: false };
  const review = await kubeCall('review own identity', () => k.authn.createSelfSubjectReview({ body: {} }));
  const username = review.status?.userInfo?.username ?? '';
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (!sa)
    throw nonRetryable(
      'PermissionDenied',
      `${username || 'this identity'} may not write Secrets in ${namespace}, and only a ServiceAccount gets ${role} bound there`,
    );
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: ACCESS_BINDING, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: sa[2], namespace: sa[1] }],
  };
  await kubeCall(`bind ${role} to ${username} in ${namespace}`, () =>
    k.objects.patch(binding, undefined, undefined, k.fieldManager, true, PatchStrategy.ServerSideApply),
  );
  const started = Date.now();
  while (!(await canWriteSecrets(k, namespace))) {
    const elapsed = Date.now() - started;
    heartbeat({ namespace, waitingFor: `${role} binding`, elapsedMs: elapsed });
    if (elapsed >= waitMs)
      throw retryable(
        'Timeout',
        `RoleBinding ${namespace}/${ACCESS_BINDING} (${role}) not in effect after ${Math.round(elapsed / 1000)} s`,
      );
    await sleep(250);
  }
  return { bound: true };
}
