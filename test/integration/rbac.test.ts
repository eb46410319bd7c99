// deploy/kubernetes/ against the local kube-apiserver (scripts/stack/up.sh kube moto): every manifest
// passes a server-side dry-run, then the worker's RBAC objects are applied for real and a release's
// Kubernetes and traffic operations run as the worker's ServiceAccount (token from the TokenRequest
// API), with RBAC and the admission policy enforced by the apiserver. Anything outside the role is 403.
// Threat 8 (docs/security.md): no Secret access outside the release's namespaces, the admission policy reads the
// pair from the platform's registry ConfigMap, no adoption of a foreign namespace, no Secret value in
// the clear in a backup, and the cluster-policies check flags cluster-wide Secret read.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import {
  AuthenticationV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { parse, parseAllDocuments } from 'yaml';
import type { ActivityConfig } from '../../src/activities/config';
import { openProtectedSecret } from '../../src/activities/kubernetes/backup-secrets';
import { kubeClients, type KubeClients } from '../../src/activities/kubernetes/client';
import { createKubernetesActivities } from '../../src/activities/kubernetes';
import { createPolicyActivities } from '../../src/activities/policy';
import { createTrafficActivities } from '../../src/activities/traffic';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import type { TrafficSpec } from '../../src/plan/types';
import {
  activityEnv,
  deleteNamespaces,
  eventually,
  kubeConfigForStack,
  seedBlue,
  uniqueNamespace,
  withKubeconfig,
} from './kube-helpers';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(240_000);

const MANIFESTS = join(__dirname, '..', '..', 'deploy', 'kubernetes');
const MANAGER = 'hwayo-rbac-test';
const { config, admin } = kubeConfigForStack();

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests and route objects are apiserver JSON */
type Obj = KubernetesObject & Record<string, any>;

/** Every object of deploy/kubernetes/*.yaml (the kustomization is not an object). */
function manifests(): Obj[] {
  return readdirSync(MANIFESTS)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(MANIFESTS, f), 'utf8'))
        .map((d) => d.toJS() as Obj)
        .filter(Boolean),
    );
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);
const WORKER_ROLES = /hwayo-release-worker-(environment|route)/g;

/**
 * The manifests as this test applies them: the worker's namespace `hwayo-release` -> `sys`, the plan's
 * namespaces `hwayo-production[-green]` -> `blue[-green]`, the route's `hwayo-gateway` -> `route`,
 * cluster-scoped names suffixed, so parallel runs and the real objects never collide.
 */
function renamed(sys: string, blue: string, route: string, suffix: string): Obj[] {
  return manifests().map((original) => {
    const text = JSON.stringify(original)
      .replace(/hwayo-production/g, blue)
      .replace(/hwayo-gateway/g, route)
      .replace(WORKER_ROLES, `$&-${suffix}`)
      .replace(/system:serviceaccount:hwayo-release:/g, `system:serviceaccount:${sys}:`);
    const obj = JSON.parse(text) as Obj;
    if (obj.kind === 'Namespace') obj.metadata!.name = sys;
    else if (CLUSTER_SCOPED.has(obj.kind!))
      obj.metadata!.name = obj.metadata!.name!.endsWith(suffix)
        ? obj.metadata!.name
        : `${obj.metadata!.name}-${suffix}`;
    else if (obj.metadata!.namespace === 'hwayo-release') obj.metadata!.namespace = sys;
    // The mesh's root namespace is the stack's own: this copy's binding there gets its own name.
    else if (obj.metadata!.namespace === 'istio-system') obj.metadata!.name = `${obj.metadata!.name}-${suffix}`;
    if (obj.kind === 'ClusterRoleBinding') obj.roleRef.name = `${obj.roleRef.name}-${suffix}`;
    for (const s of obj.subjects ?? []) s.namespace = sys;
    if (obj.kind === 'ValidatingAdmissionPolicyBinding') {
      obj.spec.policyName = `${obj.spec.policyName}-${suffix}`;
      obj.spec.paramRef.namespace = sys;
    }
    return obj;
  });
}

const applyAs = (k: KubeClients, obj: Obj, dryRun?: string) =>
  k.objects.patch(obj, undefined, dryRun, MANAGER, true, PatchStrategy.ServerSideApply);

/** HTTP status of a rejected call (client-node ApiException or our classified ApplicationFailure). */
async function statusOf(p: Promise<unknown>): Promise<number | string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) return 'succeeded';
  if (err instanceof ApplicationFailure)
    return (err.details?.[0] as { status?: number } | undefined)?.status ?? err.type ?? 'ApplicationFailure';
  return (err as { code?: number }).code ?? String(err);
}

async function expectPermissionDenied(p: Promise<unknown>, message?: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
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
  const route = `${blue}-route`;
  // Namespaces outside the release: one with a Secret the worker must not read, one the platform
  // bound the worker's environment role in without registering it.
  const other = `${blue}-other`;
  const unregistered = `${blue}-unreg`;
  const objects = renamed(sys, blue, route, suffix);
  const environmentRole = `hwayo-release-worker-environment-${suffix}`;
  const codecKeys = [{ id: 'backup-test', key: randomBytes(32) }];
  // A Secret value blue holds (with kubectl's last-applied copy of it) that must never reach S3 in the clear.
  const knownValue = `s3cr3t-${randomBytes(8).toString('hex')}`;
  const saName = 'hwayo-release-worker';
  let worker: KubeClients;
  let kubeconfigPath: string;
  /** The worker's configuration: its own kubeconfig, this run's environment role, a codec key. */
  const workerConfig = (): ActivityConfig => {
    const cfg = withKubeconfig(config, kubeconfigPath);
    return { ...cfg, codecKeys, kubernetes: { ...cfg.kubernetes, environmentRole } };
  };
  /** A kubeconfig that authenticates as the worker's ServiceAccount in `namespace` (TokenRequest, 1 h). */
  const kubeConfigAs = async (namespace: string): Promise<KubeConfig> => {
    const token = await admin.core.createNamespacedServiceAccountToken({
      name: saName,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = admin.kc.getCurrentCluster();
    if (!cluster || !token.status?.token) throw new Error('could not mint a token');
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ ...cluster, name: 'hwayo-stack' }, { name: saName, token: token.status.token });
    return kc;
  };
  const s3 = new S3Client({
    region: config.aws.region,
    endpoint: config.aws.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: config.aws.accessKeyId ?? 'test',
      secretAccessKey: config.aws.secretAccessKey ?? 'test',
    },
  });

  beforeAll(async () => {
    if (!config.aws.endpoint)
      throw new Error('AWS_ENDPOINT_URL not set: start the moto component (scripts/stack/up.sh moto)');
    await s3
      .send(
        new CreateBucketCommand({
          Bucket: 'hwayo-release-artifacts',
          CreateBucketConfiguration: { LocationConstraint: config.aws.region as BucketLocationConstraint },
        }),
      )
      .catch((e: Error) => {
        if (!/BucketAlready/.test(e.name)) throw e;
      });
  });

  afterAll(async () => {
    s3.destroy();
    const outside = (o: Obj) =>
      (CLUSTER_SCOPED.has(o.kind!) && o.kind !== 'Namespace') || o.metadata?.namespace === 'istio-system';
    for (const obj of objects.filter(outside).reverse()) {
      await admin.objects.delete(obj).catch(() => undefined);
    }
    await admin.objects
      .delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `secrets-reader-${suffix}` },
      })
      .catch(() => undefined);
    await admin.objects
      .delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `secrets-reader-${suffix}` },
      })
      .catch(() => undefined);
    await deleteNamespaces(admin, [sys, blue, green, route, other, unregistered]);
  });

  test('the manifests are the expected set of objects; no Secret access is bound cluster-wide', () => {
    const kinds = manifests()
      .map((o) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`)
      .sort();
    expect(kinds).toEqual([
      'ClusterRole/hwayo-release-worker',
      'ClusterRole/hwayo-release-worker-environment',
      'ClusterRole/hwayo-release-worker-mesh',
      'ClusterRole/hwayo-release-worker-route',
      'ClusterRoleBinding/hwayo-release-worker',
      'ConfigMap/hwayo-release/hwayo-release-environments',
      'ConfigMap/hwayo-release/hwayo-release-policy',
      'ConfigMap/hwayo-release/hwayo-release-worker-config',
      'Deployment/hwayo-release/hwayo-release-worker',
      'Namespace/hwayo-release',
      'NetworkPolicy/hwayo-release/hwayo-release-worker',
      'Role/hwayo-release/hwayo-release-worker-policy',
      'RoleBinding/hwayo-gateway/hwayo-release-worker',
      'RoleBinding/hwayo-production/hwayo-release-worker',
      'RoleBinding/hwayo-release/hwayo-release-worker-policy',
      'RoleBinding/istio-system/hwayo-release-worker-mesh',
      'Service/hwayo-release/hwayo-release-worker',
      'ServiceAccount/hwayo-release/hwayo-release-worker',
      'ValidatingAdmissionPolicy/hwayo-release-worker-namespaces',
      'ValidatingAdmissionPolicyBinding/hwayo-release-worker-namespaces',
    ]);
    type Rule = { verbs: string[]; resources: string[]; apiGroups: string[] };
    for (const role of manifests().filter((o) => o.kind === 'ClusterRole')) {
      expect((role.rules as Rule[]).flatMap((r) => [...r.verbs, ...r.resources, ...r.apiGroups])).not.toContain('*');
    }
    const bound = manifests()
      .filter((o) => o.kind === 'ClusterRoleBinding')
      .map((b) => b.roleRef.name as string);
    const clusterWide = manifests().filter((o) => o.kind === 'ClusterRole' && bound.includes(o.metadata!.name!));
    expect((clusterWide.flatMap((r) => r.rules) as Rule[]).filter((r) => r.resources.includes('secrets'))).toEqual([]);
  });

  test('every manifest passes a server-side dry-run', async () => {
    // Namespaced objects need their namespace to exist, even in a dry run.
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(await statusOf(applyAs(admin, ns, 'All'))).toBe('succeeded');
    await applyAs(admin, ns);
    await seedBlue(admin, blue);
    await admin.core.createNamespace({ body: { metadata: { name: route } } });
    for (const obj of objects) {
      const result = await statusOf(applyAs(admin, obj, 'All'));
      expect({ obj: `${obj.kind}/${obj.metadata?.name}`, result }).toEqual({
        obj: `${obj.kind}/${obj.metadata?.name}`,
        result: 'succeeded',
      });
    }
    // A dry run stores nothing.
    expect(await statusOf(admin.apps.readNamespacedDeployment({ name: 'hwayo-release-worker', namespace: sys }))).toBe(
      404,
    );
  });

  test('RBAC and ServiceAccount applied for real; a token for the ServiceAccount reaches the apiserver', async () => {
    const rbac = [
      'ServiceAccount',
      'Role',
      'ClusterRole',
      'ClusterRoleBinding',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ];
    for (const obj of objects.filter(
      (o) => rbac.includes(o.kind!) || o.metadata?.name === 'hwayo-release-environments',
    )) {
      await applyAs(admin, obj);
    }
    await admin.core.createNamespacedSecret({
      namespace: blue,
      body: {
        metadata: {
          name: 'known',
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData: { TOKEN: knownValue } }),
          },
        },
        stringData: { TOKEN: knownValue },
      },
    });
    for (const name of [other, unregistered]) await admin.core.createNamespace({ body: { metadata: { name } } });
    await admin.core.createNamespacedSecret({
      namespace: other,
      body: { metadata: { name: 'not-yours' }, stringData: { a: knownValue } },
    });
    // The platform's mistake: the environment role bound in a namespace missing from the registry.
    await applyAs(admin, {
      ...objects.find((o) => o.kind === 'RoleBinding' && o.metadata?.namespace === blue)!,
      metadata: { name: 'hwayo-release-worker', namespace: unregistered },
    });
    const kc = await kubeConfigAs(sys);
    kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'hwayo-rbac-')), 'kubeconfig');
    writeFileSync(kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
    worker = kubeClients(kc, 'hwayo-release');

    // The authorizer and the admission policy pick the new objects up from informers: wait for both.
    await eventually('binding effective', async () => (await statusOf(worker.core.listNode())) === 'succeeded', 30_000);
    await eventually(
      'blue binding effective',
      async () => (await statusOf(worker.core.listNamespacedSecret({ namespace: blue }))) === 'succeeded',
      30_000,
    );
    // RBAC allows ConfigMap writes in both; the policy (with its registry) refuses the unregistered one.
    const probe = (namespace: string) =>
      statusOf(
        worker.core.createNamespacedConfigMap({
          namespace,
          body: { metadata: { generateName: 'probe-' } },
          dryRun: 'All',
        }),
      );
    await eventually(
      'registry and policy effective',
      async () => (await probe(blue)) === 'succeeded' && (await probe(unregistered)) === 403,
      30_000,
    );
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${sys}:${saName}`);
  });

  test("the worker reads the platform policy by name and can neither change it nor read its namespace's other ConfigMaps", async () => {
    const policy = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'hwayo-release-policy')!;
    await applyAs(admin, policy);
    const where = { kind: 'configmap', namespace: sys, name: 'hwayo-release-policy' } as const;
    const reading = await eventually(
      'policy Role effective',
      async () => {
        const r = await createPolicyActivities({ ...workerConfig(), policy: where }).readPlatformPolicy();
        return r.problems.some((p) => /may not read/.test(p)) ? undefined : r;
      },
      30_000,
    );
    // The shipped document holds placeholder keys: until the platform team puts real ones in, nothing is released.
    expect(reading.source).toBe(`configmap ${sys}/hwayo-release-policy`);
    expect(reading.policy).toBeUndefined();
    expect(reading.problems[0]).toMatch(
      new RegExp(
        `^the platform policy configmap ${sys}/hwayo-release-policy: environments\\.0\\.approval\\.approvers\\.0\\.publicKey`,
      ),
    );
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const body = { data: { 'policy.yaml': 'version: 1' } };
    expect(
      await statusOf(
        worker.core.patchNamespacedConfigMap({ name: 'hwayo-release-policy', namespace: sys, body }, mergePatch),
      ),
    ).toBe(403);
    expect(
      await statusOf(worker.core.deleteNamespacedConfigMap({ name: 'hwayo-release-policy', namespace: sys })),
    ).toBe(403);
    expect(
      await statusOf(worker.core.readNamespacedConfigMap({ name: 'hwayo-release-environments', namespace: sys })),
    ).toBe(403);
    expect(await statusOf(worker.core.listNamespacedConfigMap({ namespace: sys }))).toBe(403);
  });

  test('hole 6: the worker changes only its own labels on a namespace; pod-security labels stay as the platform set them', async () => {
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const label = (k: KubeClients, labels: Record<string, string | null>) =>
      statusOf(k.core.patchNamespace({ name: blue, body: { metadata: { labels } } }, mergePatch));
    expect(await label(admin, { 'pod-security.kubernetes.io/enforce': 'restricted', team: 'platform' })).toBe(
      'succeeded',
    );
    const denied = await worker.core
      .patchNamespace(
        { name: blue, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } } },
        mergePatch,
      )
      .then(
        () => undefined,
        (e: { code?: number; body?: unknown }) => e,
      );
    expect(denied?.code).toBe(403);
    expect(String(denied?.body)).toContain(
      'hwayo-release-worker may set only hwayo.io/* labels on a namespace; it may not change pod-security.kubernetes.io/enforce',
    );
    expect(await label(worker, { 'pod-security.kubernetes.io/enforce': null })).toBe(403);
    expect(await label(worker, { team: null })).toBe(403);
    expect(await label(worker, { 'hwayo.io/probe': 'yes' })).toBe('succeeded');
    expect(await label(worker, { 'hwayo.io/probe': null })).toBe('succeeded');
    const { metadata } = await admin.core.readNamespace({ name: blue });
    expect(metadata?.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', team: 'platform' });
    expect(metadata?.labels?.['hwayo.io/probe']).toBeUndefined();
    expect(await label(admin, { 'pod-security.kubernetes.io/enforce': null, team: null })).toBe('succeeded');
  });

  test('hole 6: the worker creates a release namespace only at pod-security restricted', async () => {
    // green is registered (an `environment`) and does not exist yet: only its pod-security level is refused.
    const create = (labels: Record<string, string>) =>
      worker.core.createNamespace({ body: { metadata: { name: green, labels } }, dryRun: 'All' }).then(
        () => 'succeeded',
        (e: { code?: number; body?: unknown }) => `${e.code} ${String(e.body)}`,
      );
    const refusal = 'hwayo-release-worker creates a namespace only with pod-security.kubernetes.io/enforce: restricted';
    expect(await create({})).toMatch(new RegExp(`^403 .*${refusal}`));
    expect(await create({ 'pod-security.kubernetes.io/enforce': 'baseline' })).toMatch(/^403 /);
    expect(await create({ 'pod-security.kubernetes.io/enforce': 'privileged' })).toMatch(/^403 /);
    expect(
      await create({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.0',
      }),
    ).toMatch(/^403 .*it may not change pod-security.kubernetes.io\/enforce-version/);
    expect(await create({ 'pod-security.kubernetes.io/enforce': 'restricted' })).toBe('succeeded');
  });

  test('hole 6: in the route namespace the worker updates only the route objects the platform registered', async () => {
    const vs = (name: string) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: route },
      spec: { hosts: [`${name}.example`], http: [{ route: [{ destination: { host: 'a' }, weight: 100 }] }] },
    });
    const ref = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', namespace: route };
    for (const name of ['hwayo-canary', 'other-app']) await applyAs(admin, vs(name));
    const update = async (name: string) => {
      const current: any = await worker.custom.getNamespacedCustomObject({ ...ref, name });
      current.spec.http[0].route[0].weight = 90;
      return worker.custom.replaceNamespacedCustomObject({ ...ref, name, body: current }).then(
        () => 'succeeded',
        (e: { code?: number; body?: unknown }) => `${e.code} ${String(e.body)}`,
      );
    };
    // Registered in environments.yaml as `hwayo-gateway.hwayo-canary: route` (here `<route>.hwayo-canary`).
    expect(await update('hwayo-canary')).toBe('succeeded');
    expect(await update('other-app')).toMatch(
      new RegExp(
        `^403 .*hwayo-release-worker may update only the route objects registered in .* not virtualservices ${route}/other-app`,
      ),
    );
    const untouched: any = await admin.custom.getNamespacedCustomObject({ ...ref, name: 'other-app' });
    expect(untouched.spec.http[0].route[0].weight).toBe(100);
  });
  test("hole 8: no Secret read outside the release's namespaces", async () => {
    for (const namespace of ['kube-system', other, sys]) {
      expect({ namespace, list: await statusOf(worker.core.listNamespacedSecret({ namespace })) }).toEqual({
        namespace,
        list: 403,
      });
    }
    expect(await statusOf(worker.core.readNamespacedSecret({ name: 'not-yours', namespace: other }))).toBe(403);
    expect(await statusOf(worker.core.listSecretForAllNamespaces())).toBe(403);
    // Binding itself the environment role elsewhere: RBAC allows the bind, the admission policy does not.
    const binding = (namespace: string, subject = saName) =>
      ({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `grab-${suffix}`, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: environmentRole },
        subjects: [{ kind: 'ServiceAccount', name: subject, namespace: sys }],
      }) as KubernetesObject;
    expect(await statusOf(worker.objects.create(binding('kube-system')))).toBe(403);
    expect(await statusOf(worker.objects.create(binding(other)))).toBe(403);
    // Nor, in its own blue, to another identity.
    await admin.core.createNamespacedServiceAccount({ namespace: sys, body: { metadata: { name: 'accomplice' } } });
    const refused = await worker.objects.create(binding(blue, 'accomplice')).then(
      () => undefined,
      (e: unknown) => e as { code: number; body: string },
    );
    expect(refused?.code).toBe(403);
    expect(String(refused?.body)).toMatch(/only to itself/);
  });

  test('hole 8: cluster-policies flags a ClusterRole that lets the worker read Secrets cluster-wide', async () => {
    const kube = createKubernetesActivities(workerConfig());
    await applyAs(admin, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `secrets-reader-${suffix}` },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    } as Obj);
    await applyAs(admin, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `secrets-reader-${suffix}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `secrets-reader-${suffix}` },
      subjects: [{ kind: 'ServiceAccount', name: saName, namespace: sys }],
    } as Obj);
    await eventually(
      'cluster-wide read effective',
      async () => (await statusOf(worker.core.listSecretForAllNamespaces())) === 'succeeded',
      30_000,
    );
    const r = await activityEnv().env.run(kube.checkClusterPolicies, { namespace: blue });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/get, list on secrets in every namespace/);
    expect(r.data).toMatchObject({ wildcardRules: 0, clusterWideSecretReads: 'get,list' });
    await admin.objects.delete({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `secrets-reader-${suffix}` },
    });
    await eventually(
      'cluster-wide read gone',
      async () => (await statusOf(worker.core.listSecretForAllNamespaces())) === 403,
      30_000,
    );
  });

  test("a release's Kubernetes and traffic operations run as the worker", async () => {
    const cfg = workerConfig();
    const kube = createKubernetesActivities(cfg);
    const traffic = createTrafficActivities(cfg);
    const run = () => activityEnv().env;
    const services = DEFAULT_PLAN_DOCUMENT.services;
    const names = services.map((s) => s.name);

    // Preflight checks of SEED 3.2 / 8.1, including "RBAC least privilege" about the worker itself.
    expect(await run().run(kube.checkKubernetesNodes)).toMatchObject({ ok: true });
    const policies = await run().run(kube.checkClusterPolicies, { namespace: blue });
    expect(policies).toMatchObject({ ok: true, data: { wildcardRules: 0, clusterWideSecretReads: '' } });

    // Green environment (SEED 5.1): created by the worker, which binds itself the environment role there.
    const labels = { 'app.kubernetes.io/part-of': 'hwayo', 'hwayo.io/environment': 'green' };
    expect(await statusOf(worker.core.listNamespacedSecret({ namespace: green }))).toBe(403);
    expect(await run().run(kube.createNamespace, { name: green, labels })).toEqual({ created: true });
    expect(
      await run().run(kube.createNamespace, { name: green, labels: { ...labels, 'hwayo.io/release': 'r-rbac' } }),
    ).toEqual({ created: false });
    const rb = (await admin.objects.read({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'hwayo-release-worker', namespace: green },
    })) as Obj;
    expect({ roleRef: rb.roleRef.name, subjects: rb.subjects }).toEqual({
      roleRef: environmentRole,
      subjects: [{ kind: 'ServiceAccount', name: saName, namespace: sys }],
    });
    expect((await admin.core.readNamespace({ name: green })).metadata?.labels).toMatchObject({
      ...labels,
      'app.kubernetes.io/managed-by': 'hwayo-release',
      'hwayo.io/release': 'r-rbac',
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    // ... and it stays there: the worker can neither lower nor drop the level.
    for (const level of ['baseline', null]) {
      expect(
        await statusOf(
          worker.core.patchNamespace(
            { name: green, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': level } } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        ),
      ).toBe(403);
    }
    const copied = await run().run(kube.copySecretsAndConfig, { from: blue, to: green });
    expect(copied.secrets).toEqual(expect.arrayContaining(['hwayo-database', 'known']));
    expect((await admin.core.readNamespacedSecret({ name: 'known', namespace: green })).data?.TOKEN).toBe(
      Buffer.from(knownValue).toString('base64'),
    );
    expect(copied.configMaps).toContain('hwayo-config');
    const deployed = await run().run(kube.deployGreen, {
      from: blue,
      to: green,
      imageTag: '2.0.0',
      services,
      labels: { 'hwayo.io/release': 'r-rbac' },
    });
    expect(deployed.deployments.map((d) => d.image)).toEqual(names.map((n) => `registry.local/hwayo-${n}:2.0.0`));
    const ready = await run().run(kube.waitForRollout, { namespace: green, deployments: names, timeoutMs: 120_000 });
    expect(ready).toMatchObject({ ready: true });

    // Canary and full switch (SEED 5.2/5.3) on every route kind.
    for (const provider of ['istio', 'gateway-api', 'traefik'] as const) {
      const route: TrafficSpec = {
        ...(DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec),
        provider,
        namespace: blue,
        blueDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
        greenDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
        maintenanceDestination: `maintenance-page.${blue}.svc.cluster.local`,
      };
      for (const w of [5, 25, 50, 100]) {
        expect(
          await run().run(traffic.setTrafficWeight, {
            route,
            blueNamespace: blue,
            greenNamespace: green,
            greenWeight: w,
          }),
        ).toMatchObject({ greenWeight: w, changed: true });
      }
      expect(
        await run().run(traffic.setMaintenanceMode, { route, blueNamespace: blue, greenNamespace: green, on: true }),
      ).toEqual({ changed: true });
      expect(
        await run().run(traffic.setMaintenanceMode, { route, blueNamespace: blue, greenNamespace: green, on: false }),
      ).toEqual({ changed: true });
    }
    const vs: any = await admin.custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'virtualservices',
      namespace: blue,
      name: 'hwayo-canary',
    });
    const main = vs.spec.http.find((r: any) => !r.match);
    expect(main.route.find((d: any) => d.destination.host.startsWith(`api-gateway.${green}.`)).weight).toBe(100);

    // Clean-up of blue (SEED 5.3): back up to S3, scale to 1.
    const key = `backups/${blue}.yaml`;
    const backup = await run().run(kube.backupNamespace, { namespace: blue, bucket: 'hwayo-release-artifacts', key });
    const text = await (
      await s3.send(new GetObjectCommand({ Bucket: 'hwayo-release-artifacts', Key: key }))
    ).Body!.transformToString();
    const stored = parse(text) as { items: ({ kind: string; metadata: { name: string } } & Record<string, unknown>)[] };
    expect(stored.items).toHaveLength(backup.objects);
    for (const kind of [
      'Deployment',
      'Service',
      'Secret',
      'ConfigMap',
      'NetworkPolicy',
      'VirtualService',
      'HTTPRoute',
      'TraefikService',
      'IngressRoute',
      'ReplicaSet',
      'Pod',
    ]) {
      expect(stored.items.some((i) => i.kind === kind)).toBe(true);
    }
    // No Secret value in the clear, base64 or not; the codec key gives it back for a restore.
    for (const needle of [
      knownValue,
      Buffer.from(knownValue).toString('base64'),
      'hwayo-prod-db.internal',
      Buffer.from('hwayo-prod-db.internal').toString('base64'),
    ]) {
      expect(text).not.toContain(needle);
    }
    const sealed = stored.items.find((i) => i.kind === 'Secret' && i.metadata.name === 'known')!;
    expect(sealed).toMatchObject({ encryptedData: { algorithm: 'AES-256-GCM', keyId: 'backup-test' } });
    expect(openProtectedSecret(sealed, codecKeys).data).toEqual({ TOKEN: Buffer.from(knownValue).toString('base64') });
    const before = await run().run(kube.scaleDeployments, { namespace: blue, replicas: 1 });
    expect(Object.keys(before).sort()).toEqual([...names].sort());
    expect((await admin.apps.readNamespacedDeployment({ name: 'api-gateway', namespace: blue })).spec?.replicas).toBe(
      1,
    );

    // Emergency path pieces (SEED 6): redeploy a version, repoint the database Secret.
    expect(
      (await run().run(kube.deployVersion, { namespace: green, imageTag: '2.0.1', services })).deployments[0].image,
    ).toMatch(/:2\.0\.1$/);
    expect(
      await run().run(kube.switchDatabaseConnection, {
        namespaces: [blue, green],
        secret: { name: 'hwayo-database', key: 'DATABASE_HOST' },
        endpoint: 'restored.db.local',
      }),
    ).toEqual({ updated: [blue, green] });

    // Retirement: delete green, then blue.
    expect(await run().run(kube.deleteNamespace, { name: green, waitMs: 120_000 })).toEqual({ deleted: true });
    expect(await run().run(kube.deleteNamespace, { name: blue, waitMs: 120_000 })).toEqual({ deleted: true });
  });

  test('what the role does not grant is refused with 403', async () => {
    const kube = createKubernetesActivities(workerConfig());
    // Cluster RBAC objects: no escalation path.
    expect(
      await statusOf(
        worker.objects.delete({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: `hwayo-release-worker-${suffix}` },
        }),
      ),
    ).toBe(403);
    expect(
      await statusOf(
        worker.objects.create({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'escalate', namespace: sys },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: saName, namespace: sys }],
        } as KubernetesObject),
      ),
    ).toBe(403);
    // Other namespaces' contents cannot be read (namespace objects themselves can: metadata only).
    expect(await statusOf(worker.core.readNamespace({ name: 'kube-system' }))).toBe('succeeded');
    await expectPermissionDenied(
      activityEnv().env.run(kube.deleteNamespace, { name: 'default', waitMs: 1000 }),
      /namespace default/,
    );
    // Verbs the activities never use.
    expect(
      await statusOf(
        worker.core.createNamespacedPod({
          namespace: sys,
          body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        }),
      ),
    ).toBe(403);
    expect(await statusOf(worker.apps.deleteNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }))).toBe(
      403,
    );
    expect(
      await statusOf(
        worker.core.patchNode(
          { name: 'kwok-node-1', body: { metadata: { labels: { x: 'y' } } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      ),
    ).toBe(403);
    expect(
      await statusOf(worker.core.readNamespacedServiceAccount({ name: 'default', namespace: 'kube-system' })),
    ).toBe(403);
    expect(
      await statusOf(
        worker.core.createNamespacedSecret({
          namespace: 'kube-system',
          body: { metadata: { name: `planted-${suffix}` }, stringData: { a: 'b' } },
        }),
      ),
    ).toBe(403);
    // Creating a namespace RBAC allows anywhere is refused by the admission policy outside the registry.
    await expectPermissionDenied(
      activityEnv().env.run(kube.createNamespace, { name: `rogue-${suffix}`, labels: {} }),
      /may only write in/,
    );
    await expectPermissionDenied(
      activityEnv().env.run(kube.copySecretsAndConfig, { from: 'kube-system', to: 'default' }),
      /kube-system/,
    );
  });

  test('hole 8: namespace delete follows the registry ConfigMap, not names in the policy', async () => {
    const kube = createKubernetesActivities(workerConfig());
    // RBAC would allow it (the environment role is bound there); the registry does not list it.
    await eventually(
      'unregistered binding effective',
      async () => (await statusOf(worker.core.listNamespacedSecret({ namespace: unregistered }))) === 'succeeded',
      30_000,
    );
    await expectPermissionDenied(
      activityEnv().env.run(kube.deleteNamespace, { name: unregistered, waitMs: 1000 }),
      /registered in .*hwayo-release-environments, not .*-unreg/,
    );
    expect((await admin.core.readNamespace({ name: unregistered })).status?.phase).toBe('Active');
    // The platform registers it: the same delete goes through.
    await admin.core.patchNamespacedConfigMap(
      { name: 'hwayo-release-environments', namespace: sys, body: { data: { [unregistered]: 'environment' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(
      'registry change effective',
      async () => {
        const r = await activityEnv()
          .env.run(kube.deleteNamespace, { name: unregistered, waitMs: 60_000 })
          .catch(() => undefined);
        return r?.deleted;
      },
      30_000,
    );
    await expect(admin.core.readNamespace({ name: unregistered })).rejects.toMatchObject({ code: 404 });
  });

  test('hole 8: createNamespace refuses an existing namespace this app did not create, and cannot delete it', async () => {
    const kube = createKubernetesActivities(workerConfig());
    // Someone else's namespace under the pair's green name (registered, so only ownership stops us).
    await eventually(
      'green gone',
      async () => (await statusOf(admin.core.readNamespace({ name: green }))) === 404,
      120_000,
    );
    await admin.core.createNamespace({ body: { metadata: { name: green, labels: { team: 'payments' } } } });
    await admin.core.createNamespacedSecret({
      namespace: green,
      body: { metadata: { name: 'theirs' }, stringData: { a: 'b' } },
    });
    const err = await activityEnv()
      .env.run(kube.createNamespace, {
        name: green,
        labels: { 'app.kubernetes.io/part-of': 'hwayo', 'hwayo.io/release': 'r-2' },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect({ type: (err as ApplicationFailure).type, nonRetryable: (err as ApplicationFailure).nonRetryable }).toEqual({
      type: 'NamespaceNotOwned',
      nonRetryable: true,
    });
    expect((err as ApplicationFailure).message).toMatch(
      /already exists and was not created by hwayo-release for app hwayo .*refusing to adopt/,
    );
    // Nothing was bound or labelled, so the saga's delete of green cannot take it down either.
    expect(
      await statusOf(
        admin.objects.read({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'hwayo-release-worker', namespace: green },
        }),
      ),
    ).toBe(404);
    expect((await admin.core.readNamespace({ name: green })).metadata?.labels).not.toHaveProperty([
      'app.kubernetes.io/managed-by',
    ]);
    await expectPermissionDenied(activityEnv().env.run(kube.deleteNamespace, { name: green, waitMs: 1000 }));
    expect((await admin.core.readNamespace({ name: green })).status?.phase).toBe('Active');
    expect(await statusOf(worker.core.listNamespacedSecret({ namespace: green }))).toBe(403);
  });

  // Last: the kube-apiserver stops its informer for a policy's ConfigMap params for good once, for a moment, no
  // binding names ConfigMap params (kubernetes/kubernetes#130887, PR #141015), and from then on judges the
  // worker's writes by the registry as it was. This file's binding going must not leave none: the stack binds the
  // real policy from its start (scripts/stack/components/kube.sh). Without that, a pair registered after this
  // file would be refused for good (worker-upgrade.test.ts registers one).
  test('after this binding is gone, a namespace newly registered in the real registry is admitted for the real worker', async () => {
    for (const obj of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding'))
      await admin.objects.delete(obj).catch(() => undefined);
    // The apiserver's policy source has dropped this file's binding once the test's worker, which only that
    // binding held to the registry, may create (dry run) a namespace outside it.
    await eventually(
      "this file's binding gone from admission",
      async () =>
        (await statusOf(
          worker.core.createNamespace({ body: { metadata: { name: uniqueNamespace('unbound') } }, dryRun: 'All' }),
        )) === 'succeeded',
      30_000,
    );
    const real = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding' };
    expect(await statusOf(admin.objects.read({ ...real, metadata: { name: 'hwayo-release-worker-namespaces' } }))).toBe(
      'succeeded',
    );
    const realWorker = kubeClients(await kubeConfigAs('hwayo-release'), 'hwayo-release');
    const probe = uniqueNamespace('registry-probe');
    const register = (value: string | null) =>
      admin.core.patchNamespacedConfigMap(
        { name: 'hwayo-release-environments', namespace: 'hwayo-release', body: { data: { [probe]: value } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    // At pod-security restricted, as createNamespace creates one (the policy refuses it otherwise).
    const labels = { 'pod-security.kubernetes.io/enforce': 'restricted' };
    const create = () =>
      statusOf(realWorker.core.createNamespace({ body: { metadata: { name: probe, labels } }, dryRun: 'All' }));
    expect(await create()).toBe(403);
    await register('environment');
    try {
      await eventually('the registration admitted', async () => (await create()) === 'succeeded', 15_000);
    } finally {
      await register(null);
    }
  });
});
