// deploy/kubernetes/ against the local kube-apiserver (scripts/stack/up.sh kube moto): every manifest
// passes a server-side dry-run, then the worker's RBAC objects are applied for real and a release's
// Kubernetes and traffic operations run as the worker's ServiceAccount (token from the TokenRequest
// API), with RBAC and the admission policy enforced by the apiserver. Anything outside the role is 403.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { AuthenticationV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { parse, parseAllDocuments } from 'yaml';
import { kubeClients, type KubeClients } from '../../src/activities/kube/client';
import { createKubernetesActivities } from '../../src/activities/kubernetes';
import { createTrafficActivities } from '../../src/activities/traffic';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import type { TrafficSpec } from '../../src/plan/types';
import { activityEnv, deleteNamespaces, eventually, kubeConfigForStack, seedBlue, uniqueNamespace, withKubeconfig } from './kube-helpers';

jest.mock('@kubernetes/client-node', () => jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient());
jest.setTimeout(240_000);

const MANIFESTS = join(__dirname, '..', '..', 'deploy', 'kubernetes');
const MANAGER = 'hwayo-rbac-test';
const { config, admin } = kubeConfigForStack();

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests and route objects are apiserver JSON */
type Obj = KubernetesObject & Record<string, any>;

/** Every object of deploy/kubernetes/*.yaml (the kustomization is not an object). */
function manifests(): Obj[] {
  return readdirSync(MANIFESTS).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(MANIFESTS, f), 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean));
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);

/**
 * The manifests as this test applies them: the worker's namespace `hwayo-release` -> `sys`, the plan's
 * namespaces `hwayo-production[-green]` -> `blue[-green]`, cluster-scoped names suffixed, so parallel
 * runs and the real objects never collide.
 */
function renamed(sys: string, blue: string, suffix: string): Obj[] {
  return manifests().map((original) => {
    const text = JSON.stringify(original)
      .replace(/hwayo-production/g, blue)
      .replace(/system:serviceaccount:hwayo-release:/g, `system:serviceaccount:${sys}:`);
    const obj = JSON.parse(text) as Obj;
    if (obj.kind === 'Namespace') obj.metadata!.name = sys;
    else if (CLUSTER_SCOPED.has(obj.kind!)) obj.metadata!.name = `${obj.metadata!.name}-${suffix}`;
    else obj.metadata!.namespace = sys;
    if (obj.kind === 'ClusterRoleBinding') {
      obj.roleRef.name = `${obj.roleRef.name}-${suffix}`;
      for (const s of obj.subjects) s.namespace = sys;
    }
    if (obj.kind === 'ValidatingAdmissionPolicyBinding') obj.spec.policyName = `${obj.spec.policyName}-${suffix}`;
    return obj;
  });
}

const applyAs = (k: KubeClients, obj: Obj, dryRun?: string) =>
  k.objects.patch(obj, undefined, dryRun, MANAGER, true, PatchStrategy.ServerSideApply);

/** HTTP status of a rejected call (client-node ApiException or our classified ApplicationFailure). */
async function statusOf(p: Promise<unknown>): Promise<number | string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (err === undefined) return 'succeeded';
  if (err instanceof ApplicationFailure) return (err.details?.[0] as { status?: number } | undefined)?.status ?? err.type ?? 'ApplicationFailure';
  return (err as { code?: number }).code ?? String(err);
}

async function expectPermissionDenied(p: Promise<unknown>, message?: RegExp) {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: 'PermissionDenied', nonRetryable: true });
  if (message) expect(f.message).toMatch(message);
}

describe('deploy/kubernetes on the local apiserver', () => {
  const suffix = Math.random().toString(16).slice(2, 8);
  const sys = uniqueNamespace('rbac-sys');
  const blue = uniqueNamespace('rbac');
  const green = `${blue}-green`;
  const objects = renamed(sys, blue, suffix);
  const saName = 'hwayo-release-worker';
  let worker: KubeClients;
  let kubeconfigPath: string;
  const s3 = new S3Client({
    region: config.aws.region, endpoint: config.aws.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: config.aws.accessKeyId ?? 'test', secretAccessKey: config.aws.secretAccessKey ?? 'test' },
  });

  beforeAll(async () => {
    if (!config.aws.endpoint) throw new Error('AWS_ENDPOINT_URL not set: start the moto component (scripts/stack/up.sh moto)');
    await s3.send(new CreateBucketCommand({ Bucket: 'hwayo-release-artifacts', CreateBucketConfiguration: { LocationConstraint: config.aws.region as BucketLocationConstraint } }))
      .catch((e: Error) => { if (!/BucketAlready/.test(e.name)) throw e; });
  });

  afterAll(async () => {
    s3.destroy();
    for (const obj of objects.filter((o) => CLUSTER_SCOPED.has(o.kind!) && o.kind !== 'Namespace').reverse()) {
      await admin.objects.delete(obj).catch(() => undefined);
    }
    await deleteNamespaces(admin, [sys, blue, green]);
  });

  test('the manifests are the expected set of objects', () => {
    const kinds = manifests().map((o) => `${o.kind}/${o.metadata?.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/hwayo-release-worker', 'ClusterRoleBinding/hwayo-release-worker', 'ConfigMap/hwayo-release-worker-config',
      'Deployment/hwayo-release-worker', 'Namespace/hwayo-release', 'NetworkPolicy/hwayo-release-worker', 'Service/hwayo-release-worker',
      'ServiceAccount/hwayo-release-worker', 'ValidatingAdmissionPolicy/hwayo-release-worker-namespaces',
      'ValidatingAdmissionPolicyBinding/hwayo-release-worker-namespaces',
    ]);
    const role = manifests().find((o) => o.kind === 'ClusterRole')!;
    const flat = (role.rules as { verbs: string[]; resources: string[]; apiGroups: string[] }[]).flatMap((r) => [...r.verbs, ...r.resources, ...r.apiGroups]);
    expect(flat).not.toContain('*');
  });

  test('every manifest passes a server-side dry-run', async () => {
    // Namespaced objects need their namespace to exist, even in a dry run.
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(await statusOf(applyAs(admin, ns, 'All'))).toBe('succeeded');
    await applyAs(admin, ns);
    for (const obj of objects) {
      const result = await statusOf(applyAs(admin, obj, 'All'));
      expect({ obj: `${obj.kind}/${obj.metadata?.name}`, result }).toEqual({ obj: `${obj.kind}/${obj.metadata?.name}`, result: 'succeeded' });
    }
    // A dry run stores nothing.
    expect(await statusOf(admin.apps.readNamespacedDeployment({ name: 'hwayo-release-worker', namespace: sys }))).toBe(404);
  });

  test('RBAC and ServiceAccount applied for real; a token for the ServiceAccount reaches the apiserver', async () => {
    for (const obj of objects.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].includes(o.kind!))) {
      await applyAs(admin, obj);
    }
    await seedBlue(admin, blue);
    const token = await admin.core.createNamespacedServiceAccountToken({ name: saName, namespace: sys, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const cluster = admin.kc.getCurrentCluster();
    if (!cluster || !token.status?.token) throw new Error('could not mint a token');
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ ...cluster, name: 'hwayo-stack' }, { name: saName, token: token.status.token });
    kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'hwayo-rbac-')), 'kubeconfig');
    writeFileSync(kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
    worker = kubeClients(kc, 'hwayo-release');

    // The authorizer and the admission policy pick the new objects up from informers: wait for both.
    await eventually('binding effective', async () => (await statusOf(worker.core.listNode())) === 'succeeded', 30_000);
    await eventually('admission policy effective', async () => {
      const body = { metadata: { generateName: 'probe-' } };
      return (await statusOf(worker.core.createNamespacedConfigMap({ namespace: sys, body }))) === 403;
    }, 30_000);
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${sys}:${saName}`);
  });

  test('a release\'s Kubernetes and traffic operations run as the worker', async () => {
    const cfg = withKubeconfig(config, kubeconfigPath);
    const kube = createKubernetesActivities(cfg);
    const traffic = createTrafficActivities(cfg);
    const run = () => activityEnv().env;
    const services = DEFAULT_PLAN_DOCUMENT.services;
    const names = services.map((s) => s.name);

    // Preflight checks of SEED 3.2 / 8.1, including "RBAC least privilege" about the worker itself.
    expect(await run().run(kube.checkKubernetesNodes)).toMatchObject({ ok: true });
    const policies = await run().run(kube.checkClusterPolicies, { namespace: blue });
    expect(policies).toMatchObject({ ok: true, data: { wildcardRules: 0 } });

    // Green environment (SEED 5.1).
    expect(await run().run(kube.createNamespace, { name: green, labels: { 'hwayo.io/environment': 'green' } })).toEqual({ created: true });
    expect(await run().run(kube.createNamespace, { name: green, labels: { 'hwayo.io/environment': 'green', 'hwayo.io/release': 'r-rbac' } })).toEqual({ created: false });
    const copied = await run().run(kube.copySecretsAndConfig, { from: blue, to: green });
    expect(copied.secrets).toContain('hwayo-database');
    expect(copied.configMaps).toContain('hwayo-config');
    const deployed = await run().run(kube.deployGreen, { from: blue, to: green, imageTag: '2.0.0', services, labels: { 'hwayo.io/release': 'r-rbac' } });
    expect(deployed.deployments.map((d) => d.image)).toEqual(names.map((n) => `registry.local/hwayo-${n}:2.0.0`));
    const ready = await run().run(kube.waitForRollout, { namespace: green, deployments: names, timeoutMs: 120_000 });
    expect(ready).toMatchObject({ ready: true });

    // Canary and full switch (SEED 5.2/5.3) on both route kinds.
    for (const provider of ['istio', 'gateway-api'] as const) {
      const route: TrafficSpec = {
        ...(DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec), provider, namespace: blue,
        blueDestination: 'api-gateway.{{namespace}}.svc.cluster.local', greenDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
        maintenanceDestination: `maintenance-page.${blue}.svc.cluster.local`,
      };
      for (const w of [5, 25, 50, 100]) {
        expect(await run().run(traffic.setTrafficWeight, { route, blueNamespace: blue, greenNamespace: green, greenWeight: w })).toMatchObject({ greenWeight: w, changed: true });
      }
      expect(await run().run(traffic.setMaintenanceMode, { route, blueNamespace: blue, greenNamespace: green, on: true })).toEqual({ changed: true });
      expect(await run().run(traffic.setMaintenanceMode, { route, blueNamespace: blue, greenNamespace: green, on: false })).toEqual({ changed: true });
    }
    const vs: any = await admin.custom.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', namespace: blue, name: 'hwayo-canary' });
    const main = vs.spec.http.find((r: any) => !r.match);
    expect(main.route.find((d: any) => d.destination.host.startsWith(`api-gateway.${green}.`)).weight).toBe(100);

    // Clean-up of blue (SEED 5.3): back up to S3, scale to 1.
    const key = `backups/${blue}.yaml`;
    const backup = await run().run(kube.backupNamespace, { namespace: blue, bucket: 'hwayo-release-artifacts', key });
    const stored = parse(await (await s3.send(new GetObjectCommand({ Bucket: 'hwayo-release-artifacts', Key: key }))).Body!.transformToString()) as { items: { kind: string }[] };
    expect(stored.items).toHaveLength(backup.objects);
    for (const kind of ['Deployment', 'Service', 'Secret', 'ConfigMap', 'NetworkPolicy', 'VirtualService', 'HTTPRoute', 'ReplicaSet', 'Pod']) {
      expect(stored.items.some((i) => i.kind === kind)).toBe(true);
    }
    const before = await run().run(kube.scaleDeployments, { namespace: blue, replicas: 1 });
    expect(Object.keys(before).sort()).toEqual([...names].sort());
    expect((await admin.apps.readNamespacedDeployment({ name: 'api-gateway', namespace: blue })).spec?.replicas).toBe(1);

    // Emergency path pieces (SEED 6): redeploy a version, repoint the database Secret.
    expect((await run().run(kube.deployVersion, { namespace: green, imageTag: '2.0.1', services })).deployments[0].image).toMatch(/:2\.0\.1$/);
    expect(await run().run(kube.switchDatabaseConnection, { namespaces: [blue, green], secret: { name: 'hwayo-database', key: 'DATABASE_HOST' }, endpoint: 'restored.db.local' }))
      .toEqual({ updated: [blue, green] });

    // Retirement: delete green, then blue.
    expect(await run().run(kube.deleteNamespace, { name: green, waitMs: 120_000 })).toEqual({ deleted: true });
    expect(await run().run(kube.deleteNamespace, { name: blue, waitMs: 120_000 })).toEqual({ deleted: true });
  });

  test('what the role does not grant is refused with 403', async () => {
    const kube = createKubernetesActivities(withKubeconfig(config, kubeconfigPath));
    // Cluster RBAC objects: no escalation path.
    expect(await statusOf(worker.objects.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `hwayo-release-worker-${suffix}` } }))).toBe(403);
    expect(await statusOf(worker.objects.create({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'escalate', namespace: sys },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: saName, namespace: sys }],
    } as KubernetesObject))).toBe(403);
    // Namespaces other than the plan's two cannot be read or deleted.
    expect(await statusOf(worker.core.readNamespace({ name: 'kube-system' }))).toBe(403);
    await expectPermissionDenied(activityEnv().env.run(kube.deleteNamespace, { name: 'default', waitMs: 1000 }), /namespace default/);
    // Verbs the activities never use.
    expect(await statusOf(worker.core.createNamespacedPod({ namespace: sys, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } } }))).toBe(403);
    expect(await statusOf(worker.apps.deleteNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }))).toBe(403);
    expect(await statusOf(worker.core.patchNode({ name: 'kwok-node-1', body: { metadata: { labels: { x: 'y' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch)))).toBe(403);
    expect(await statusOf(worker.core.readNamespacedServiceAccount({ name: 'default', namespace: 'kube-system' }))).toBe(403);
    // Writes RBAC allows cluster-wide are refused by the admission policy outside the plan's namespaces.
    expect(await statusOf(worker.core.createNamespacedSecret({ namespace: 'kube-system', body: { metadata: { name: `planted-${suffix}` }, stringData: { a: 'b' } } }))).toBe(403);
    await expectPermissionDenied(activityEnv().env.run(kube.createNamespace, { name: `rogue-${suffix}`, labels: {} }), /may only write in/);
    await expectPermissionDenied(activityEnv().env.run(kube.copySecretsAndConfig, { from: 'kube-system', to: 'default' }), /namespace/);
  });
});
