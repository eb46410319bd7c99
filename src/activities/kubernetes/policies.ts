// SEED 8.1 "during deployment" gates: NetworkPolicies present, every pod has a securityContext,
// and the worker's own RBAC is least privilege (`kubectl auth can-i --list` has no wildcards, and it
// cannot read Secrets cluster-wide: `kubectl auth can-i get secrets --all-namespaces` is no).
import type { V1PodSpec, V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import type { CheckResult } from '../contract';
import type { KubeClients } from './client';
import { kubeCall } from './errors';

const nonEmpty = (o: V1PodSecurityContext | V1SecurityContext | undefined) =>
  o !== undefined && Object.values(o).some((v) => v !== undefined && v !== null);

/** The pod level sets one, or every container does (the apiserver fills an empty `{}` into every pod). */
export function hasSecurityContext(spec: V1PodSpec | undefined): boolean {
  if (!spec) return false;
  return (
    nonEmpty(spec.securityContext) ||
    (spec.containers.length > 0 && spec.containers.every((c) => nonEmpty(c.securityContext)))
  );
}

/** Secret verbs that reveal values. */
const SECRET_READS = ['get', 'list', 'watch'] as const;

/**
 * Which Secret reads the identity holds in every namespace at once. A review without a namespace is
 * answered only by cluster-wide grants (ClusterRoleBindings), not by RoleBindings in some namespaces.
 */
async function clusterWideSecretReads(k: KubeClients): Promise<string[]> {
  const allowed = await Promise.all(
    SECRET_READS.map(async (verb) => {
      const r = await kubeCall(`review own ${verb} secrets cluster-wide`, () =>
        k.authz.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { verb, resource: 'secrets', namespace: '' } } },
        }),
      );
      return r.status?.allowed === true ? verb : '';
    }),
  );
  return allowed.filter(Boolean);
}

export async function checkClusterPolicies(k: KubeClients, namespace: string): Promise<CheckResult> {
  const [netpols, pods, deps, sets, daemons, review, secretReads] = await Promise.all([
    kubeCall(`list networkpolicies in ${namespace}`, () => k.networking.listNamespacedNetworkPolicy({ namespace })),
    kubeCall(`list pods in ${namespace}`, () => k.core.listNamespacedPod({ namespace })),
    kubeCall(`list deployments in ${namespace}`, () => k.apps.listNamespacedDeployment({ namespace })),
    kubeCall(`list statefulsets in ${namespace}`, () => k.apps.listNamespacedStatefulSet({ namespace })),
    kubeCall(`list daemonsets in ${namespace}`, () => k.apps.listNamespacedDaemonSet({ namespace })),
    kubeCall('review own permissions', () => k.authz.createSelfSubjectRulesReview({ body: { spec: { namespace } } })),
    clusterWideSecretReads(k),
  ]);
  const problems: string[] = [];
  if (netpols.items.length === 0) problems.push(`no NetworkPolicy in ${namespace}`);
  const workloads = [
    ...pods.items.map((p) => ({ what: `pod ${p.metadata?.name}`, spec: p.spec })),
    ...deps.items.map((d) => ({ what: `deployment ${d.metadata?.name}`, spec: d.spec?.template.spec })),
    ...sets.items.map((d) => ({ what: `statefulset ${d.metadata?.name}`, spec: d.spec?.template.spec })),
    ...daemons.items.map((d) => ({ what: `daemonset ${d.metadata?.name}`, spec: d.spec?.template.spec })),
  ];
  const insecure = workloads.filter((w) => !hasSecurityContext(w.spec)).map((w) => w.what);
  if (insecure.length)
    problems.push(
      `no securityContext: ${insecure.slice(0, 5).join(', ')}${insecure.length > 5 ? ` and ${insecure.length - 5} more` : ''}`,
    );
  const rules = review.status?.resourceRules ?? [];
  const wildcards = rules.filter(
    (r) => r.verbs.includes('*') || (r.resources ?? []).includes('*') || (r.apiGroups ?? []).includes('*'),
  );
  const nonResourceWildcards = (review.status?.nonResourceRules ?? []).filter((r) => r.verbs.includes('*'));
  if (wildcards.length || nonResourceWildcards.length) {
    const shown = wildcards
      .slice(0, 2)
      .map(
        (r) => `${r.verbs.join(',')} on ${(r.apiGroups ?? []).join(',') || 'core'}/${(r.resources ?? []).join(',')}`,
      );
    problems.push(
      `own permissions are not least privilege: wildcard rules ${shown.join('; ') || 'on non-resource URLs'}`,
    );
  }
  if (secretReads.length) {
    problems.push(
      `own permissions are not least privilege: ${secretReads.join(', ')} on secrets in every namespace (a ClusterRoleBinding); bind Secret access per environment namespace`,
    );
  }
  if (review.status?.incomplete)
    problems.push(`permission review incomplete: ${review.status.evaluationError ?? 'unknown reason'}`);
  return {
    name: 'cluster-policies',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `${netpols.items.length} NetworkPolicies, ${workloads.length} workloads with securityContext, no wildcard permissions in ${namespace}, no cluster-wide Secret read`,
    data: {
      networkPolicies: netpols.items.length,
      workloads: workloads.length,
      withoutSecurityContext: insecure.length,
      wildcardRules: wildcards.length + nonResourceWildcards.length,
      clusterWideSecretReads: secretReads.join(','),
    },
  };
}
