// Helpers for the tests against the local Kubernetes (scripts/stack/components/kube.sh): admin clients,
// per-test copies of the seeded blue environment, a least-privilege identity, and running activities
// inside Temporal's mock activity context (so heartbeat() and activityInfo() work).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parseAllDocuments } from 'yaml';
import type { ActivityConfig } from '../../src/activities/config';
import { kubeClients, type KubeClients } from '../../src/activities/kubernetes/client';
import { stackConfig } from './stack';

const FIXTURE = join(__dirname, '..', '..', 'scripts', 'stack', 'kube-fixtures', 'hwayo-production.yaml');

export function kubeConfigForStack(): { config: ActivityConfig; admin: KubeClients } {
  const config = stackConfig();
  if (!config.kubernetes.kubeconfigPath) throw new Error('KUBECONFIG not set: run scripts/stack/up.sh kube');
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubernetes.kubeconfigPath);
  return { config, admin: kubeClients(kc, 'hwayo-test-fixture') };
}

/** A namespace name of our own per test, so tests never share state: `t-<what>-<random>`. */
export const uniqueNamespace = (what: string) => `t-${what}-${randomBytes(3).toString('hex')}`;

/** The seed's blue environment (the committed fixture) applied under namespace `ns` (green = `ns-green`). */
export async function seedBlue(admin: KubeClients, ns: string): Promise<KubernetesObject[]> {
  const text = readFileSync(FIXTURE, 'utf8').replace(/hwayo-production/g, ns);
  const objects = parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject)
    .filter(Boolean);
  for (const obj of objects)
    await admin.objects.patch(obj, undefined, undefined, 'hwayo-test-fixture', true, PatchStrategy.ServerSideApply);
  return objects;
}

/** Deletes namespaces without waiting (the cluster finishes it in the background). */
export async function deleteNamespaces(admin: KubeClients, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => admin.core.deleteNamespace({ name }).catch(() => undefined)));
}

/** Runs `fn` as an activity; heartbeats are collected into `heartbeats`. */
export function activityEnv(info: Partial<Info> = {}) {
  const mock = new MockActivityEnvironment(info);
  const heartbeats: unknown[] = [];
  mock.on('heartbeat', (d: unknown) => heartbeats.push(d));
  // Typed wrapper: MockActivityEnvironment.run cannot infer the result type of a method.
  const env = {
    run: <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
      mock.run(fn, ...args) as Promise<R>,
    mock,
  };
  return { env, heartbeats };
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A ServiceAccount in `ns` bound to a Role with exactly `rules`, and a kubeconfig file that
 * authenticates as it with a token from the TokenRequest API. Returns the kubeconfig's path.
 */
export async function leastPrivilegeKubeconfig(
  admin: KubeClients,
  ns: string,
  name: string,
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[],
): Promise<string> {
  const manager = 'hwayo-test-fixture';
  const apply = (obj: KubernetesObject) =>
    admin.objects.patch(obj, undefined, undefined, manager, true, PatchStrategy.ServerSideApply);
  await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } } as KubernetesObject);
  await apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace: ns },
    rules,
  } as KubernetesObject);
  await apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  } as KubernetesObject);
  return serviceAccountKubeconfig(admin, ns, name);
}

/** A kubeconfig file that authenticates as the ServiceAccount ns/name (a 1 h token). */
export async function serviceAccountKubeconfig(admin: KubeClients, ns: string, name: string): Promise<string> {
  const token = await admin.core.createNamespacedServiceAccountToken({
    name,
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.kc.getCurrentCluster();
  if (!cluster || !token.status?.token) throw new Error('could not mint a token');
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ ...cluster, name: 'hwayo-stack' }, { name, token: token.status.token });
  const file = join(mkdtempSync(join(tmpdir(), 'hwayo-sa-')), 'kubeconfig');
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

/** Activity configuration that talks to the cluster with another kubeconfig (e.g. a least-privilege one). */
export const withKubeconfig = (config: ActivityConfig, kubeconfigPath: string): ActivityConfig => ({
  ...config,
  kubernetes: { ...config.kubernetes, kubeconfigPath },
});
