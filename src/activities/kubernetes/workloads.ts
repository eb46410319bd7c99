// Namespaces, copies, deployments and scaling. Writes of whole objects are server-side applies under
// one field manager (re-running converges, never duplicates); single-field changes are patches that
// are skipped when the field already has the wanted value.
import { heartbeat, sleep } from '@temporalio/activity';
import {
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
  type V1Namespace,
} from '@kubernetes/client-node';
import type {
  DeployGreenInput,
  DeployResult,
  DeployVersionInput,
  NamespaceCopyResult,
  ScaleInput,
  ScaleResult,
  SwitchConnectionInput,
} from '../contract';
import { nonRetryable, retryable } from '../errors';
import { ensureEnvironmentAccess } from './access';
import { releaseNamespaceLabels } from './pod-security';
import type { KubeClients } from './client';
import { isConflict, isNotFound, kubeCall, kubeFailure, retryOnConflict, statusOf } from './errors';
import {
  adoptionRefusal,
  cloneDeployment,
  cloneService,
  copyConfigMap,
  copyNetworkPolicy,
  copySecret,
  imageOf,
  isClusterManagedConfigMap,
  isClusterManagedSecret,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  withTag,
} from './objects';

/** Remembers what a scale replaced, so a retried scale still reports the count from before the first attempt. */
export const SCALED_FROM_ANNOTATION = 'release.hwayo.io/scaled-from';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export async function apply<T extends KubernetesObject>(k: KubeClients, obj: T): Promise<T> {
  const what = `apply ${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`;
  return kubeCall(what, () =>
    k.objects.patch(obj, undefined, undefined, k.fieldManager, true, PatchStrategy.ServerSideApply),
  );
}

async function requireNamespace(k: KubeClients, name: string) {
  return kubeCall(`read namespace ${name}`, () => k.core.readNamespace({ name }));
}

export async function createNamespace(
  k: KubeClients,
  input: { name: string; labels: Record<string, string> },
  access: { environmentRole: string },
): Promise<{ created: boolean }> {
  // The managed-by label is how a later attempt (or release) knows this namespace is ours to adopt; an adopted one
  // left at a weaker pod security is raised to restricted below, with the other missing labels.
  const labels = { ...releaseNamespaceLabels(input.labels), [MANAGED_BY_LABEL]: MANAGED_BY };
  let created = true;
  try {
    await k.core.createNamespace({ body: { metadata: { name: input.name, labels } }, fieldManager: k.fieldManager });
  } catch (err) {
    if (!isConflict(err)) throw kubeFailure(err, `create namespace ${input.name}`);
    created = false;
  }
  let ns: V1Namespace | undefined;
  if (!created) {
    ns = await requireNamespace(k, input.name);
    if (ns.status?.phase === 'Terminating')
      throw retryable('Conflict', `namespace ${input.name} is still being deleted`);
    const refusal = adoptionRefusal(ns, input.labels);
    if (refusal)
      throw nonRetryable('NamespaceNotOwned', refusal, { namespace: input.name, labels: ns.metadata?.labels ?? {} });
  }
  // Before anything else in it: the label patch below already needs the environment role.
  await ensureEnvironmentAccess(k, input.name, access.environmentRole);
  const missing = Object.entries(labels).filter(([key, v]) => ns && ns.metadata?.labels?.[key] !== v);
  if (missing.length) {
    await kubeCall(`label namespace ${input.name}`, () =>
      k.core.patchNamespace(
        { name: input.name, body: { metadata: { labels: Object.fromEntries(missing) } }, fieldManager: k.fieldManager },
        mergePatch,
      ),
    );
  }
  return { created };
}

export async function copySecretsAndConfig(
  k: KubeClients,
  input: { from: string; to: string },
): Promise<NamespaceCopyResult> {
  // Listing a missing namespace gives an empty list, which would "copy" nothing and succeed.
  await requireNamespace(k, input.from);
  await requireNamespace(k, input.to);
  const [secrets, configMaps, netpols] = await Promise.all([
    kubeCall(`list secrets in ${input.from}`, () => k.core.listNamespacedSecret({ namespace: input.from })),
    kubeCall(`list configmaps in ${input.from}`, () => k.core.listNamespacedConfigMap({ namespace: input.from })),
    kubeCall(`list networkpolicies in ${input.from}`, () =>
      k.networking.listNamespacedNetworkPolicy({ namespace: input.from }),
    ),
  ]);
  const result: NamespaceCopyResult = { secrets: [], configMaps: [], networkPolicies: [] };
  for (const np of netpols.items) {
    await apply(k, copyNetworkPolicy(np, input.to));
    result.networkPolicies.push(np.metadata?.name ?? '');
  }
  for (const s of secrets.items.filter((x) => !isClusterManagedSecret(x))) {
    await apply(k, copySecret(s, input.to));
    result.secrets.push(s.metadata?.name ?? '');
  }
  for (const cm of configMaps.items.filter((x) => !isClusterManagedConfigMap(x))) {
    await apply(k, copyConfigMap(cm, input.to));
    result.configMaps.push(cm.metadata?.name ?? '');
  }
  return result;
}

const summary = (d: V1Deployment) => ({
  name: d.metadata?.name ?? '',
  image: imageOf(d),
  replicas: d.spec?.replicas ?? 1,
});

/**
 * The images deployGreen (or deployVersion) would run for each of `imageTags`: every container of
 * blue's deployments on that tag (sorted, once each), one list per tag.
 */
export async function deployedImages(
  k: KubeClients,
  blueNamespace: string,
  services: string[],
  imageTags: string[],
): Promise<string[][]> {
  const containers: string[] = [];
  for (const name of services) {
    const blue = await kubeCall(`read deployment ${blueNamespace}/${name}`, () =>
      k.apps.readNamespacedDeployment({ name, namespace: blueNamespace }),
    );
    for (const c of blue.spec?.template.spec?.containers ?? []) containers.push(c.image ?? '');
  }
  return imageTags.map((tag) => [...new Set(containers.map((image) => withTag(image, tag)))].sort());
}

export async function deployGreen(k: KubeClients, input: DeployGreenInput): Promise<DeployResult> {
  await requireNamespace(k, input.to);
  const deployments: DeployResult['deployments'] = [];
  for (const { name } of input.services) {
    const blue = await kubeCall(`read deployment ${input.from}/${name}`, () =>
      k.apps.readNamespacedDeployment({ name, namespace: input.from }),
    );
    const applied = await apply(k, cloneDeployment(blue, input.to, input.imageTag, input.labels));
    deployments.push(summary(applied));
    // A worker without a Service is legitimate; a Deployment that must exist is not optional.
    const svc = await k.core.readNamespacedService({ name, namespace: input.from }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw kubeFailure(err, `read service ${input.from}/${name}`);
    });
    if (svc) await apply(k, cloneService(svc, input.to, input.labels));
  }
  return { deployments };
}

export async function deployVersion(k: KubeClients, input: DeployVersionInput): Promise<DeployResult> {
  const deployments: DeployResult['deployments'] = [];
  for (const { name } of input.services) {
    const what = `set image of ${input.namespace}/${name}`;
    let dep = await kubeCall(`read deployment ${input.namespace}/${name}`, () =>
      k.apps.readNamespacedDeployment({ name, namespace: input.namespace }),
    );
    const containers = (dep.spec?.template.spec?.containers ?? [])
      .filter((c) => c.image !== withTag(c.image ?? '', input.imageTag))
      .map((c) => ({ name: c.name, image: withTag(c.image ?? '', input.imageTag) }));
    if (containers.length) {
      dep = await kubeCall(what, () =>
        k.apps.patchNamespacedDeployment(
          {
            name,
            namespace: input.namespace,
            body: { spec: { template: { spec: { containers } } } },
            fieldManager: k.fieldManager,
          },
          strategicPatch,
        ),
      );
    }
    deployments.push(summary(dep));
  }
  return { deployments };
}

function scaledFrom(dep: V1Deployment): { from: number; to: number } | undefined {
  const raw = dep.metadata?.annotations?.[SCALED_FROM_ANNOTATION];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as { from?: unknown; to?: unknown };
    return typeof v.from === 'number' && typeof v.to === 'number' ? { from: v.from, to: v.to } : undefined;
  } catch {
    return undefined;
  }
}

export async function scaleDeployments(k: KubeClients, input: ScaleInput): Promise<ScaleResult> {
  await requireNamespace(k, input.namespace);
  const list = await kubeCall(`list deployments in ${input.namespace}`, () =>
    k.apps.listNamespacedDeployment({ namespace: input.namespace }),
  );
  const targets =
    typeof input.replicas === 'number'
      ? new Map(list.items.map((d) => [d.metadata?.name ?? '', input.replicas as number]))
      : new Map(Object.entries(input.replicas));
  for (const [name, n] of targets) {
    if (!Number.isInteger(n) || n < 0)
      throw nonRetryable('InvalidInput', `replicas for ${name} must be a whole number >= 0, got ${n}`);
    if (!list.items.some((d) => d.metadata?.name === name))
      throw nonRetryable('NotFound', `deployment ${input.namespace}/${name} does not exist`);
  }
  const previous: ScaleResult = {};
  for (const dep of list.items) {
    const name = dep.metadata?.name ?? '';
    const target = targets.get(name);
    if (target === undefined) continue;
    const current = dep.spec?.replicas ?? 1;
    const earlier = scaledFrom(dep);
    if (current === target) {
      // Already there: an earlier attempt of this same scale did it, or nothing needed doing.
      previous[name] = earlier?.to === target ? earlier.from : current;
      continue;
    }
    previous[name] = current;
    const body = {
      metadata: { annotations: { [SCALED_FROM_ANNOTATION]: JSON.stringify({ from: current, to: target }) } },
      spec: { replicas: target },
    };
    await kubeCall(`scale ${input.namespace}/${name} to ${target}`, () =>
      k.apps.patchNamespacedDeployment(
        { name, namespace: input.namespace, body, fieldManager: k.fieldManager },
        mergePatch,
      ),
    );
  }
  return previous;
}

export async function deleteNamespace(
  k: KubeClients,
  input: { name: string; waitMs: number },
): Promise<{ deleted: boolean }> {
  try {
    await k.core.deleteNamespace({ name: input.name });
  } catch (err) {
    if (isNotFound(err)) return { deleted: false };
    // 409: it is already terminating; wait for it like for our own delete. 403 after a crashed attempt: that
    // delete went through and took the RoleBinding that allowed it with the namespace's contents (chaos suite,
    // worker killed while retiring blue); the worker may still read namespaces cluster-wide, so look.
    if (!isConflict(err) && !(statusOf(err) === 403 && (await alreadyDeleting(k, input.name))))
      throw kubeFailure(err, `delete namespace ${input.name}`);
  }
  const started = Date.now();
  for (;;) {
    const ns = await k.core.readNamespace({ name: input.name }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw kubeFailure(err, `read namespace ${input.name}`);
    });
    if (!ns) return { deleted: true };
    const elapsed = Date.now() - started;
    heartbeat({ namespace: input.name, phase: ns.status?.phase, elapsedMs: elapsed });
    if (elapsed >= input.waitMs) {
      const stuck = ns.status?.conditions
        ?.filter((c) => c.status === 'True')
        .map((c) => c.message)
        .join('; ');
      throw retryable(
        'Timeout',
        `namespace ${input.name} still ${ns.status?.phase ?? 'present'} after ${Math.round(elapsed / 1000)} s${stuck ? `: ${stuck}` : ''}`,
      );
    }
    await sleep(Math.min(1000, input.waitMs - elapsed));
  }
}

/** The namespace is gone or terminating: a delete of it was already accepted. */
async function alreadyDeleting(k: KubeClients, name: string): Promise<boolean> {
  const ns = await k.core.readNamespace({ name }).catch((err: unknown) => (isNotFound(err) ? null : undefined));
  return ns === null || (!!ns && (!!ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating'));
}

export async function switchDatabaseConnection(
  k: KubeClients,
  input: SwitchConnectionInput,
): Promise<{ updated: string[] }> {
  const updated: string[] = [];
  const value = Buffer.from(input.endpoint, 'utf8').toString('base64');
  for (const namespace of input.namespaces) {
    const what = `point secret ${namespace}/${input.secret.name} at ${input.endpoint}`;
    const changed = await retryOnConflict(what, async () => {
      const secret = await k.core.readNamespacedSecret({ name: input.secret.name, namespace });
      if (secret.data?.[input.secret.key] === value) return false;
      // resourceVersion in a merge patch makes it conditional: a concurrent writer gives 409, and we re-read.
      const body = {
        metadata: { resourceVersion: secret.metadata?.resourceVersion },
        data: { [input.secret.key]: value },
      };
      await k.core.patchNamespacedSecret(
        { name: input.secret.name, namespace, body, fieldManager: k.fieldManager },
        mergePatch,
      );
      return true;
    });
    if (changed) updated.push(namespace);
  }
  return { updated };
}
