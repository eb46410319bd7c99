// Pure helpers that turn objects read from one namespace into objects to apply in another.
import type {
  V1ConfigMap,
  V1Deployment,
  V1Namespace,
  V1NetworkPolicy,
  V1ObjectMeta,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';

/** Annotations the server or other tools own; copying them would lie about the new object's history. */
const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** Metadata for a copy in `namespace`: no uid, resourceVersion, creationTimestamp, managedFields, ownerReferences. */
export function copyMeta(
  meta: V1ObjectMeta | undefined,
  namespace: string,
  extraLabels: Record<string, string> = {},
): V1ObjectMeta {
  const annotations = { ...(meta?.annotations ?? {}) };
  for (const a of DROPPED_ANNOTATIONS) delete annotations[a];
  const labels = { ...(meta?.labels ?? {}), ...extraLabels };
  const out: V1ObjectMeta = { name: meta?.name, namespace };
  if (Object.keys(labels).length) out.labels = labels;
  if (Object.keys(annotations).length) out.annotations = annotations;
  return out;
}

export function copySecret(secret: V1Secret, namespace: string): V1Secret {
  const out: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: copyMeta(secret.metadata, namespace),
    type: secret.type,
    data: { ...(secret.data ?? {}) },
  };
  if (secret.immutable !== undefined) out.immutable = secret.immutable;
  return out;
}

export function copyConfigMap(cm: V1ConfigMap, namespace: string): V1ConfigMap {
  const out: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: copyMeta(cm.metadata, namespace) };
  if (cm.data) out.data = { ...cm.data };
  if (cm.binaryData) out.binaryData = { ...cm.binaryData };
  if (cm.immutable !== undefined) out.immutable = cm.immutable;
  return out;
}

/** Pod selectors are namespace-local and namespace selectors match labels, so the spec carries over as is. */
export function copyNetworkPolicy(np: V1NetworkPolicy, namespace: string): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: copyMeta(np.metadata, namespace),
    spec: structuredClone(np.spec),
  };
}

/** Objects every namespace gets from the cluster itself; copying them would fight their controllers. */
export function isClusterManagedSecret(secret: V1Secret): boolean {
  return secret.type === 'kubernetes.io/service-account-token';
}
export function isClusterManagedConfigMap(cm: V1ConfigMap): boolean {
  return cm.metadata?.name === 'kube-root-ca.crt';
}

/** `registry:5000/team/app:1.2` with tag `2.0` -> `registry:5000/team/app:2.0`; a digest is replaced too. */
export function withTag(image: string, tag: string): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  const repo = colon > lastSlash ? base.slice(0, colon) : base;
  return `${repo}:${tag}`;
}

/** The blue Deployment as it should exist in `namespace`, every container on `imageTag`. */
export function cloneDeployment(
  dep: V1Deployment,
  namespace: string,
  imageTag: string,
  labels: Record<string, string>,
): V1Deployment {
  const spec = structuredClone(dep.spec);
  if (!spec) throw new Error(`deployment ${dep.metadata?.name} has no spec`);
  const template = spec.template;
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), ...labels } };
  delete template.metadata.creationTimestamp;
  for (const c of template.spec?.containers ?? []) c.image = withTag(c.image ?? '', imageTag);
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: copyMeta(dep.metadata, namespace, labels), spec };
}

/** The blue Service for `namespace`: cluster IPs and node ports are the server's to assign. */
export function cloneService(svc: V1Service, namespace: string, labels: Record<string, string>): V1Service {
  const spec = structuredClone(svc.spec ?? {});
  delete spec.clusterIP;
  delete spec.clusterIPs;
  delete spec.healthCheckNodePort;
  delete spec.ipFamilies;
  delete spec.ipFamilyPolicy;
  for (const p of spec.ports ?? []) delete p.nodePort;
  return { apiVersion: 'v1', kind: 'Service', metadata: copyMeta(svc.metadata, namespace, labels), spec };
}

/** The first container's image, for reports. */
export const imageOf = (dep: V1Deployment) => dep.spec?.template.spec?.containers[0]?.image ?? '';

/** Set by createNamespace on every namespace it creates: the mark of a namespace this app may adopt. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'hwayo-release';
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const RELEASE_LABEL = 'hwayo.io/release';

/**
 * Why an existing namespace must not be adopted as green, or undefined when it is this app's own: made
 * by hwayo-release for the same app, or by the same release (an earlier attempt, before the
 * managed-by label existed). Adopting another team's namespace would copy our Secrets into it and
 * later delete it with everything in it.
 */
export function adoptionRefusal(ns: V1Namespace, wanted: Record<string, string>): string | undefined {
  const have = ns.metadata?.labels ?? {};
  const sameApp = wanted[PART_OF_LABEL] === undefined || have[PART_OF_LABEL] === wanted[PART_OF_LABEL];
  const ours =
    have[MANAGED_BY_LABEL] === MANAGED_BY ||
    (wanted[RELEASE_LABEL] !== undefined && have[RELEASE_LABEL] === wanted[RELEASE_LABEL]);
  if (ours && sameApp) return undefined;
  const shown = [MANAGED_BY_LABEL, PART_OF_LABEL].map((l) => `${l}=${have[l] ?? '(none)'}`).join(', ');
  const app = wanted[PART_OF_LABEL] ? ` for app ${wanted[PART_OF_LABEL]}` : '';
  return (
    `namespace ${ns.metadata?.name} already exists and was not created by hwayo-release${app} (${shown}): refusing to adopt it; ` +
    'delete it or give the plan another green namespace'
  );
}
