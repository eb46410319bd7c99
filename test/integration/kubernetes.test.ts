// The Kubernetes activities against the local control plane (scripts/stack/up.sh kube): etcd,
// kube-apiserver with RBAC, controller-manager, scheduler and kwok nodes. Every test works in
// namespaces of its own and reads outcomes back from the apiserver.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { parse } from 'yaml';
import type { RolloutProgress } from '../../src/activities/contract';
import { SCALED_FROM_ANNOTATION } from '../../src/activities/kubernetes/workloads';
import { createKubernetesActivities } from '../../src/activities/kubernetes';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import {
  activityEnv,
  deleteNamespaces,
  eventually,
  kubeConfigForStack,
  leastPrivilegeKubeconfig,
  seedBlue,
  serviceAccountKubeconfig,
  uniqueNamespace,
  withKubeconfig,
} from './kube-helpers';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(120_000);

const { config, admin } = kubeConfigForStack();
const acts = createKubernetesActivities(config);
const services = DEFAULT_PLAN_DOCUMENT.services;
const names = services.map((s) => s.name);
const created: string[] = [];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A fresh blue environment and the name its green side gets. */
async function blueEnv(what: string) {
  const blue = uniqueNamespace(what);
  created.push(blue, `${blue}-green`);
  await seedBlue(admin, blue);
  return { blue, green: `${blue}-green` };
}

/** Asserts an activity failed with a classified ApplicationFailure. */
async function expectFailure(p: Promise<unknown>, type: string, nonRetryable: boolean, message?: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type, nonRetryable });
  if (message) expect(f.message).toMatch(message);
}

/** A Deployment that can never be scheduled (no node has this label). */
async function unschedulableDeployment(namespace: string, name: string) {
  const dep: V1Deployment = {
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'hwayo.io/no-such-node': 'true' },
          securityContext: { runAsNonRoot: true },
          containers: [{ name, image: 'registry.local/never:1' }],
        },
      },
    },
  };
  await admin.apps.createNamespacedDeployment({ namespace, body: dep });
}

/** A ConfigMap whose finalizer keeps its namespace Terminating until `release` is called. */
async function blockDeletion(namespace: string) {
  await admin.core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'blocker', finalizers: ['hwayo.io/test-blocker'] } },
  });
  return () =>
    admin.core.patchNamespacedConfigMap(
      { name: 'blocker', namespace, body: { metadata: { finalizers: null } } },
      mergePatch,
    );
}

afterAll(async () => {
  await deleteNamespaces(admin, created);
});

/** The activities as an identity granted only `rules` in a fresh namespace of its own. */
async function limitedActivities(prefix: string, name: string, rules: Parameters<typeof leastPrivilegeKubeconfig>[3]) {
  const ns = uniqueNamespace(prefix);
  created.push(ns);
  await admin.core.createNamespace({ body: { metadata: { name: ns } } });
  return createKubernetesActivities(withKubeconfig(config, await leastPrivilegeKubeconfig(admin, ns, name, rules)));
}

describe('checkKubernetesNodes', () => {
  test('all kwok nodes Ready', async () => {
    const r = await activityEnv().env.run(acts.checkKubernetesNodes);
    expect(r.ok).toBe(true);
    expect(r.data?.total).toBeGreaterThanOrEqual(3);
    expect(r.detail).toMatch(/nodes Ready/);
  });

  test('a node without a kubelet is reported by name', async () => {
    const name = `${uniqueNamespace('node')}`;
    // Unschedulable and tainted, so no other test's pods land on it.
    await admin.core.createNode({
      body: {
        metadata: { name },
        spec: { unschedulable: true, taints: [{ key: 'hwayo.io/test', effect: 'NoSchedule' }] },
      },
    });
    try {
      const r = await activityEnv().env.run(acts.checkKubernetesNodes);
      expect(r.ok).toBe(false);
      expect(r.detail).toContain(name);
    } finally {
      await admin.core.deleteNode({ name });
    }
  });

  test('permission denied without list nodes', async () => {
    const limited = await limitedActivities('nodes-rbac', 'no-nodes', [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    await expectFailure(activityEnv().env.run(limited.checkKubernetesNodes), 'PermissionDenied', true, /nodes/);
  });
});

describe('createNamespace', () => {
  test('creates, then finds it and reconciles labels', async () => {
    const name = uniqueNamespace('ns');
    created.push(name);
    expect(
      await activityEnv().env.run(acts.createNamespace, { name, labels: { 'hwayo.io/environment': 'green' } }),
    ).toEqual({ created: true });
    expect(
      await activityEnv().env.run(acts.createNamespace, {
        name,
        labels: { 'hwayo.io/environment': 'green', 'hwayo.io/release': 'r1' },
      }),
    ).toEqual({ created: false });
    const ns = await admin.core.readNamespace({ name });
    expect(ns.metadata?.labels).toMatchObject({ 'hwayo.io/environment': 'green', 'hwayo.io/release': 'r1' });
  });

  test('a namespace still terminating is a retryable conflict', async () => {
    const name = uniqueNamespace('ns-term');
    created.push(name);
    await admin.core.createNamespace({ body: { metadata: { name } } });
    const release = await blockDeletion(name);
    await admin.core.deleteNamespace({ name });
    try {
      await expectFailure(
        activityEnv().env.run(acts.createNamespace, { name, labels: {} }),
        'Conflict',
        false,
        /being deleted/,
      );
    } finally {
      await release();
    }
  });

  test("hole 8: an existing namespace without this app's labels is refused (non-retryable), not adopted", async () => {
    const name = uniqueNamespace('ns-foreign');
    created.push(name);
    await admin.core.createNamespace({ body: { metadata: { name, labels: { team: 'payments' } } } });
    const labels = { 'app.kubernetes.io/part-of': 'hwayo', 'hwayo.io/environment': 'green', 'hwayo.io/release': 'r9' };
    await expectFailure(
      activityEnv().env.run(acts.createNamespace, { name, labels }),
      'NamespaceNotOwned',
      true,
      /already exists and was not created by hwayo-release for app hwayo \(app.kubernetes.io\/managed-by=\(none\), app.kubernetes.io\/part-of=\(none\)\): refusing to adopt/,
    );
    expect((await admin.core.readNamespace({ name })).metadata?.labels).toEqual({
      team: 'payments',
      'kubernetes.io/metadata.name': name,
    });
  });

  test('permission denied for an identity that may not create namespaces', async () => {
    const limited = await limitedActivities('ns-rbac', 'reader', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    ]);
    await expectFailure(
      activityEnv().env.run(limited.createNamespace, { name: uniqueNamespace('nope'), labels: {} }),
      'PermissionDenied',
      true,
    );
  });
});

describe('failure classification', () => {
  test('an invalid object name is InvalidInput (HTTP 422), not retried', async () => {
    await expectFailure(
      activityEnv().env.run(acts.createNamespace, { name: 'Not_A_Valid_Name', labels: {} }),
      'InvalidInput',
      true,
    );
  });

  test('an apiserver that refuses connections is retryable Unavailable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwayo-kc-'));
    const file = join(dir, 'kubeconfig');
    // Same credentials, a port nothing listens on.
    writeFileSync(
      file,
      readFileSync(config.kubernetes.kubeconfigPath!, 'utf8').replace(
        /https:\/\/127\.0\.0\.1:\d+/,
        'https://127.0.0.1:1',
      ),
    );
    const down = createKubernetesActivities(withKubeconfig(config, file));
    await expectFailure(activityEnv().env.run(down.checkKubernetesNodes), 'Unavailable', false, /ECONNREFUSED/);
  });
});

describe('copySecretsAndConfig', () => {
  test('copies data exactly, without server fields, skipping cluster-managed objects; re-run writes nothing', async () => {
    const { blue, green } = await blueEnv('copy');
    await admin.core.createNamespace({ body: { metadata: { name: green } } });
    // A service-account token Secret in blue, which must not be copied.
    await admin.core.createNamespacedSecret({
      namespace: blue,
      body: {
        metadata: { name: 'default-token', annotations: { 'kubernetes.io/service-account.name': 'default' } },
        type: 'kubernetes.io/service-account-token',
      },
    });
    await eventually('kube-root-ca.crt in blue', () =>
      admin.core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: blue }).catch(() => undefined),
    );

    const r = await activityEnv().env.run(acts.copySecretsAndConfig, { from: blue, to: green });
    expect(r).toEqual({
      secrets: ['hwayo-database'],
      configMaps: ['hwayo-config'],
      networkPolicies: ['hwayo-default'],
    });
    const [srcNp, dstNp] = await Promise.all(
      [blue, green].map((namespace) =>
        admin.networking.readNamespacedNetworkPolicy({ name: 'hwayo-default', namespace }),
      ),
    );
    expect(dstNp.spec).toEqual(srcNp.spec);
    const [src, dst] = await Promise.all(
      [blue, green].map((namespace) => admin.core.readNamespacedSecret({ name: 'hwayo-database', namespace })),
    );
    expect(dst.data).toEqual(src.data);
    expect(Buffer.from(dst.data?.DATABASE_HOST ?? '', 'base64').toString()).toBe('hwayo-prod-db.internal');
    expect(dst.metadata?.uid).not.toBe(src.metadata?.uid);
    expect(dst.metadata?.ownerReferences).toBeUndefined();
    expect(dst.metadata?.managedFields?.map((m) => m.manager)).toEqual([config.kubernetes.fieldManager]);
    const cm = await admin.core.readNamespacedConfigMap({ name: 'hwayo-config', namespace: green });
    expect(cm.data).toEqual({ NODE_ENV: 'production', LOG_LEVEL: 'info', REDIS_HOST: 'hwayo-redis.internal' });
    const greenSecrets = await admin.core.listNamespacedSecret({ namespace: green });
    expect(greenSecrets.items.map((s) => s.metadata?.name)).not.toContain('default-token');
    // The green kube-root-ca.crt is the cluster's own, not a copy of ours.
    const rootCa = await admin.core
      .readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: green })
      .catch(() => undefined);
    expect(rootCa?.metadata?.managedFields?.map((m) => m.manager) ?? []).not.toContain(config.kubernetes.fieldManager);

    const again = await activityEnv().env.run(acts.copySecretsAndConfig, { from: blue, to: green });
    expect(again).toEqual(r);
    const dst2 = await admin.core.readNamespacedSecret({ name: 'hwayo-database', namespace: green });
    expect(dst2.metadata?.resourceVersion).toBe(dst.metadata?.resourceVersion);
  });

  test('a missing source namespace is NotFound, not an empty copy', async () => {
    await expectFailure(
      activityEnv().env.run(acts.copySecretsAndConfig, { from: uniqueNamespace('gone'), to: 'default' }),
      'NotFound',
      true,
    );
  });
});

describe('deployGreen + waitForRollout', () => {
  test('clones every deployment and service with the new tag; pods become Ready; re-run changes nothing', async () => {
    const { blue, green } = await blueEnv('deploy');
    await activityEnv().env.run(acts.createNamespace, { name: green, labels: {} });
    const input = { from: blue, to: green, imageTag: '1.1.0', services, labels: { 'hwayo.io/release': 'r-1-1-0' } };
    const r = await activityEnv().env.run(acts.deployGreen, input);
    expect(r.deployments).toEqual(
      names.map((name) => ({ name, image: `registry.local/hwayo-${name}:1.1.0`, replicas: 2 })),
    );

    const deps = await admin.apps.listNamespacedDeployment({ namespace: green });
    expect(deps.items.map((d) => d.metadata?.name).sort()).toEqual([...names].sort());
    for (const d of deps.items) {
      expect(d.metadata?.labels?.['hwayo.io/release']).toBe('r-1-1-0');
      expect(d.spec?.template.spec?.securityContext?.runAsNonRoot).toBe(true);
      expect(d.metadata?.managedFields?.find((m) => m.operation === 'Apply')?.manager).toBe(
        config.kubernetes.fieldManager,
      );
    }
    const [blueSvc, greenSvc] = await Promise.all(
      [blue, green].map((namespace) => admin.core.readNamespacedService({ name: 'api-gateway', namespace })),
    );
    expect(greenSvc.spec?.clusterIP).toBeTruthy();
    expect(greenSvc.spec?.clusterIP).not.toBe(blueSvc.spec?.clusterIP);
    expect(greenSvc.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 3000 });

    const { env, heartbeats } = activityEnv();
    const wait = await env.run(acts.waitForRollout, { namespace: green, deployments: names, timeoutMs: 90_000 });
    expect(wait.ready).toBe(true);
    const last = heartbeats.at(-1) as RolloutProgress;
    for (const name of names) expect(last.ready[name]).toEqual({ ready: 2, desired: 2 });
    const pods = await admin.core.listNamespacedPod({ namespace: green });
    expect(
      pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
    ).toHaveLength(12);

    const generations = deps.items.map((d) => d.metadata?.generation);
    await activityEnv().env.run(acts.deployGreen, input);
    const after = await admin.apps.listNamespacedDeployment({ namespace: green });
    expect(after.items.map((d) => d.metadata?.generation)).toEqual(generations);
  });

  test('a service without a blue Deployment is NotFound', async () => {
    const { blue, green } = await blueEnv('deploy-nf');
    await activityEnv().env.run(acts.createNamespace, { name: green, labels: {} });
    await expectFailure(
      activityEnv().env.run(acts.deployGreen, {
        from: blue,
        to: green,
        imageTag: '2',
        services: [{ name: 'ghost', healthPath: '/' }],
        labels: {},
      }),
      'NotFound',
      true,
      /ghost/,
    );
  });

  test('permission denied for an identity that may read but not write deployments', async () => {
    const { blue, green } = await blueEnv('deploy-rbac');
    await admin.core.createNamespace({ body: { metadata: { name: green } } });
    // Bound in green only; reading blue is not granted either, whichever comes first must be 403.
    const kubeconfig = await leastPrivilegeKubeconfig(admin, green, 'deployer', [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get'] },
    ]);
    const limited = createKubernetesActivities(withKubeconfig(config, kubeconfig));
    await expectFailure(
      activityEnv().env.run(limited.deployGreen, { from: blue, to: green, imageTag: '2', services, labels: {} }),
      'PermissionDenied',
      true,
    );
    expect((await admin.apps.listNamespacedDeployment({ namespace: green })).items).toHaveLength(0);
  });

  test("a rollout that can never become ready times out with the scheduler's reason", async () => {
    const ns = uniqueNamespace('stuck');
    created.push(ns);
    await admin.core.createNamespace({ body: { metadata: { name: ns } } });
    await unschedulableDeployment(ns, 'stuck');
    const { env, heartbeats } = activityEnv();
    const t0 = Date.now();
    const r = await env.run(acts.waitForRollout, { namespace: ns, deployments: ['stuck'], timeoutMs: 4000 });
    expect(r.ready).toBe(false);
    expect(r.detail).toMatch(/stuck 0\/1 ready: pod .* unschedulable: .*node/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4000);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
  });

  test('a retried wait resumes from its heartbeat: the original start time and timeout still hold', async () => {
    const ns = uniqueNamespace('resume');
    created.push(ns);
    await admin.core.createNamespace({ body: { metadata: { name: ns } } });
    await unschedulableDeployment(ns, 'stuck');
    const startedAt = Date.now() - 8000;
    const earlier: RolloutProgress = { startedAt, ready: { stuck: { ready: 0, desired: 1 } } };
    const { env, heartbeats } = activityEnv({ attempt: 2, heartbeatDetails: earlier });
    const t0 = Date.now();
    const r = await env.run(acts.waitForRollout, { namespace: ns, deployments: ['stuck'], timeoutMs: 10_000 });
    // 8 s of the 10 s were used by the first attempt: this one gives up after about 2 s, not 10.
    expect(r.ready).toBe(false);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect((heartbeats[0] as RolloutProgress).startedAt).toBe(startedAt);
  });

  test('waiting for a deployment that does not exist is NotFound', async () => {
    await expectFailure(
      activityEnv().env.run(acts.waitForRollout, { namespace: 'default', deployments: ['ghost'], timeoutMs: 1000 }),
      'NotFound',
      true,
    );
  });
});

describe('scaleDeployments', () => {
  test('returns the previous counts, also when retried after it already scaled', async () => {
    const { blue } = await blueEnv('scale');
    const prev = await activityEnv().env.run(acts.scaleDeployments, { namespace: blue, replicas: 1 });
    expect(prev).toEqual(Object.fromEntries(names.map((n) => [n, 2])));
    const deps = await admin.apps.listNamespacedDeployment({ namespace: blue });
    expect(deps.items.map((d) => d.spec?.replicas)).toEqual(names.map(() => 1));
    // generation moves only when the spec is written; resourceVersion also moves when the deployment
    // controller updates the status after the first scale, so it cannot tell a second write.
    const generations = deps.items.map((d) => d.metadata?.generation);

    const retried = await activityEnv().env.run(acts.scaleDeployments, { namespace: blue, replicas: 1 });
    expect(retried).toEqual(prev);
    const after = await admin.apps.listNamespacedDeployment({ namespace: blue });
    expect(after.items.map((d) => d.metadata?.generation)).toEqual(generations);

    // Compensation puts one back; only the named deployment is touched.
    expect(
      await activityEnv().env.run(acts.scaleDeployments, { namespace: blue, replicas: { 'api-gateway': 2 } }),
    ).toEqual({ 'api-gateway': 1 });
    const gw = await admin.apps.readNamespacedDeployment({ name: 'api-gateway', namespace: blue });
    expect(gw.spec?.replicas).toBe(2);
    expect(JSON.parse(gw.metadata?.annotations?.[SCALED_FROM_ANNOTATION] ?? '{}')).toEqual({ from: 1, to: 2 });
  });

  test('an unknown deployment is NotFound and a negative count InvalidInput, before anything is scaled', async () => {
    const { blue } = await blueEnv('scale-bad');
    await expectFailure(
      activityEnv().env.run(acts.scaleDeployments, { namespace: blue, replicas: { ghost: 1 } }),
      'NotFound',
      true,
      /ghost/,
    );
    await expectFailure(
      activityEnv().env.run(acts.scaleDeployments, { namespace: blue, replicas: -1 }),
      'InvalidInput',
      true,
    );
    const deps = await admin.apps.listNamespacedDeployment({ namespace: blue });
    expect(deps.items.every((d) => d.spec?.replicas === 2)).toBe(true);
  });
});

describe('deployVersion', () => {
  test("sets the tag on the plan's deployments; re-run writes nothing", async () => {
    const { blue } = await blueEnv('version');
    const r = await activityEnv().env.run(acts.deployVersion, { namespace: blue, imageTag: '0.9.9', services });
    expect(r.deployments.map((d) => d.image)).toEqual(names.map((n) => `registry.local/hwayo-${n}:0.9.9`));
    const deps = await admin.apps.listNamespacedDeployment({ namespace: blue });
    for (const d of deps.items) expect(d.spec?.template.spec?.containers[0].image).toMatch(/:0\.9\.9$/);
    const generations = deps.items.map((d) => d.metadata?.generation);
    await activityEnv().env.run(acts.deployVersion, { namespace: blue, imageTag: '0.9.9', services });
    expect(
      (await admin.apps.listNamespacedDeployment({ namespace: blue })).items.map((d) => d.metadata?.generation),
    ).toEqual(generations);
  });
});

describe('switchDatabaseConnection', () => {
  test('patches the key in every namespace, keeps the other keys, survives a concurrent writer', async () => {
    const { blue } = await blueEnv('db');
    const other = uniqueNamespace('db2');
    created.push(other);
    await seedBlue(admin, other);
    const secret = DEFAULT_PLAN_DOCUMENT.database.connectionSecret;
    // A concurrent writer bumps the Secret's resourceVersion every few ms while the activity runs
    // (the deterministic 409 path is covered in traffic.test.ts; this checks nothing is lost).
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        await admin.core.patchNamespacedSecret(
          { name: secret.name, namespace: blue, body: { stringData: { OTHER: String(++writes) } } },
          mergePatch,
        );
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    let r: { updated: string[] };
    try {
      r = await activityEnv().env.run(acts.switchDatabaseConnection, {
        namespaces: [blue, other],
        secret,
        endpoint: 'hwayo-prod-db-restored.internal',
      });
    } finally {
      writing = false;
      await writer;
    }
    expect(r.updated).toEqual([blue, other]);
    for (const namespace of [blue, other]) {
      const s = await admin.core.readNamespacedSecret({ name: secret.name, namespace });
      expect(Buffer.from(s.data?.DATABASE_HOST ?? '', 'base64').toString()).toBe('hwayo-prod-db-restored.internal');
      expect(Buffer.from(s.data?.DATABASE_PORT ?? '', 'base64').toString()).toBe('5432');
    }
    expect(writes).toBeGreaterThan(0);
    const s = await admin.core.readNamespacedSecret({ name: secret.name, namespace: blue });
    expect(Buffer.from(s.data?.OTHER ?? '', 'base64').toString()).toBe(String(writes));
    expect(
      await activityEnv().env.run(acts.switchDatabaseConnection, {
        namespaces: [blue, other],
        secret,
        endpoint: 'hwayo-prod-db-restored.internal',
      }),
    ).toEqual({ updated: [] });
  });

  test('a namespace without the Secret is NotFound', async () => {
    await expectFailure(
      activityEnv().env.run(acts.switchDatabaseConnection, {
        namespaces: ['default'],
        secret: { name: 'hwayo-database', key: 'DATABASE_HOST' },
        endpoint: 'x',
      }),
      'NotFound',
      true,
    );
  });
});

describe('checkMeshMtls', () => {
  const PA = { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' } as const;
  const policy = (namespace: string, name: string, mode: string) =>
    admin.custom.createNamespacedCustomObject({
      ...PA,
      namespace,
      body: {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name },
        spec: { mtls: { mode } },
      },
    });
  async function meshRoot(what: string, mode?: string): Promise<string> {
    const root = uniqueNamespace(what);
    created.push(root);
    await admin.core.createNamespace({ body: { metadata: { name: root } } });
    if (mode) await policy(root, 'default', mode);
    return root;
  }

  test("a mesh-wide STRICT policy covers blue and the green that does not exist yet; blue's PERMISSIVE breaks it", async () => {
    const { blue, green } = await blueEnv('mtls');
    const rootNamespace = await meshRoot('mtls-root', 'STRICT');
    const ok = await activityEnv().env.run(acts.checkMeshMtls, { namespaces: [blue, green], rootNamespace });
    expect(ok).toMatchObject({ ok: true, data: { [blue]: 'STRICT', [green]: 'STRICT' } });
    expect(ok.detail).toContain(`${green}: STRICT from ${rootNamespace}/default (mesh-wide)`);

    await policy(blue, 'relax', 'PERMISSIVE');
    const broken = await activityEnv().env.run(acts.checkMeshMtls, { namespaces: [blue, green], rootNamespace });
    expect(broken).toMatchObject({ ok: false, data: { [blue]: 'PERMISSIVE', [green]: 'STRICT' } });
    expect(broken.detail).toBe(`${blue}: mTLS PERMISSIVE from ${blue}/relax`);
  });

  test("no mesh-wide policy: Istio's default PERMISSIVE fails the check", async () => {
    const { blue, green } = await blueEnv('mtls-none');
    const rootNamespace = await meshRoot('mtls-none-root');
    const r = await activityEnv().env.run(acts.checkMeshMtls, { namespaces: [blue, green], rootNamespace });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(new RegExp(`${green}: mTLS PERMISSIVE from no PeerAuthentication`));
  });

  test("an identity without a grant in the mesh's root namespace gets PermissionDenied, not a pass", async () => {
    const { blue, green } = await blueEnv('mtls-rbac');
    const limited = createKubernetesActivities(
      withKubeconfig(
        config,
        await leastPrivilegeKubeconfig(admin, blue, 'mesh-reader', [
          { apiGroups: ['security.istio.io'], resources: ['peerauthentications'], verbs: ['list'] },
        ]),
      ),
    );
    await expectFailure(
      activityEnv().env.run(limited.checkMeshMtls, { namespaces: [blue, green], rootNamespace: 'istio-system' }),
      'PermissionDenied',
      true,
      /peerauthentications/,
    );
  });

  test("the deployed worker (deploy/kubernetes/rbac.yaml, as the stack applies it) reads the stack's mesh: STRICT", async () => {
    // Its own token, not worker-kubeconfig.sh: this file runs beside rbac.test, which owns fields of those objects.
    const file = await serviceAccountKubeconfig(admin, 'hwayo-release', 'hwayo-release-worker');
    const worker = createKubernetesActivities(withKubeconfig(config, file));
    // A green that does not exist yet: covered by the mesh-wide policy in istio-system alone.
    const green = uniqueNamespace('mtls-absent');
    const r = await activityEnv().env.run(worker.checkMeshMtls, { namespaces: [green], rootNamespace: 'istio-system' });
    expect(r).toMatchObject({ ok: true, data: { [green]: 'STRICT' } });
    expect(r.detail).toBe(`${green}: STRICT from istio-system/default (mesh-wide)`);
  });
});

describe('checkClusterPolicies', () => {
  const reader = [
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['list'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list'] },
  ];

  test('passes for the seeded namespace checked by a least-privilege identity', async () => {
    const { blue } = await blueEnv('pol');
    const limited = createKubernetesActivities(
      withKubeconfig(config, await leastPrivilegeKubeconfig(admin, blue, 'auditor', reader)),
    );
    const r = await activityEnv().env.run(limited.checkClusterPolicies, { namespace: blue });
    expect(r).toMatchObject({ ok: true, data: { networkPolicies: 1, withoutSecurityContext: 0, wildcardRules: 0 } });
  });

  test('fails for a cluster-admin worker: wildcard permissions are not least privilege', async () => {
    const { blue } = await blueEnv('pol-admin');
    const r = await activityEnv().env.run(acts.checkClusterPolicies, { namespace: blue });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/not least privilege/);
  });

  test('fails without a NetworkPolicy and for a pod template without securityContext', async () => {
    const ns = uniqueNamespace('pol-bad');
    created.push(ns);
    await admin.core.createNamespace({ body: { metadata: { name: ns } } });
    await admin.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'insecure' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'insecure' } },
          template: { metadata: { labels: { app: 'insecure' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
        },
      },
    });
    const limited = createKubernetesActivities(
      withKubeconfig(config, await leastPrivilegeKubeconfig(admin, ns, 'auditor', reader)),
    );
    const r = await activityEnv().env.run(limited.checkClusterPolicies, { namespace: ns });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/no NetworkPolicy/);
    expect(r.detail).toMatch(/no securityContext: deployment insecure/);
  });

  test('an identity that cannot list pods gets PermissionDenied, not a passing check', async () => {
    const { blue } = await blueEnv('pol-rbac');
    const limited = createKubernetesActivities(
      withKubeconfig(config, await leastPrivilegeKubeconfig(admin, blue, 'partial', reader.slice(1))),
    );
    await expectFailure(
      activityEnv().env.run(limited.checkClusterPolicies, { namespace: blue }),
      'PermissionDenied',
      true,
      /pods/,
    );
  });
});

describe('backupNamespace', () => {
  const s3 = new S3Client({
    region: config.aws.region,
    endpoint: config.aws.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: config.aws.accessKeyId ?? 'test',
      secretAccessKey: config.aws.secretAccessKey ?? 'test',
    },
  });
  const bucket = 'hwayo-release-artifacts';
  beforeAll(async () => {
    if (!config.aws.endpoint)
      throw new Error('AWS_ENDPOINT_URL not set: start the moto component (scripts/stack/up.sh moto)');
    await s3
      .send(
        new CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration: { LocationConstraint: config.aws.region as BucketLocationConstraint },
        }),
      )
      .catch((e: Error) => {
        if (!/BucketAlready/.test(e.name)) throw e;
      });
  });
  afterAll(() => s3.destroy());

  test('every object of the namespace, custom resources included, as YAML in S3; re-run overwrites the same key', async () => {
    const { blue } = await blueEnv('backup');
    await eventually(
      'blue pods',
      async () => (await admin.core.listNamespacedPod({ namespace: blue })).items.length >= 12,
    );
    const key = `backups/${blue}.yaml`;
    // A worker without codec keys: Secrets are kept as references (threat 8).
    const noKeys = createKubernetesActivities({ ...config, codecKeys: [] });
    const r = await activityEnv().env.run(noKeys.backupNamespace, { namespace: blue, bucket, key });
    expect(r.location).toBe(`s3://${bucket}/${key}`);
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await obj.Body!.transformToString();
    for (const needle of ['hwayo-prod-db.internal', Buffer.from('hwayo-prod-db.internal').toString('base64')])
      expect(text).not.toContain(needle);
    const doc = parse(text) as {
      kind: string;
      items: {
        kind: string;
        apiVersion: string;
        metadata: { name: string; namespace: string; managedFields?: unknown };
      }[];
    };
    expect(doc.kind).toBe('List');
    expect(doc.items).toHaveLength(r.objects);
    const count = (kind: string) => doc.items.filter((i) => i.kind === kind).length;
    expect(count('Deployment')).toBe(6);
    expect(count('Service')).toBe(6);
    expect(count('ReplicaSet')).toBe(6);
    expect(count('Pod')).toBeGreaterThanOrEqual(12);
    expect(count('NetworkPolicy')).toBe(1);
    expect(count('VirtualService')).toBe(1);
    expect(count('HTTPRoute')).toBe(1);
    expect(doc.items.find((i) => i.kind === 'Secret' && i.metadata.name === 'hwayo-database')).toMatchObject({
      valuesOmitted: { keys: ['DATABASE_HOST', 'DATABASE_NAME', 'DATABASE_PORT'] },
    });
    expect(doc.items.every((i) => i.metadata.namespace === blue && i.metadata.managedFields === undefined)).toBe(true);
    expect(obj.ServerSideEncryption).toBe('AES256');

    const again = await activityEnv().env.run(noKeys.backupNamespace, { namespace: blue, bucket, key });
    expect(again.location).toBe(r.location);
  });

  test('a missing namespace or bucket is NotFound', async () => {
    await expectFailure(
      activityEnv().env.run(acts.backupNamespace, { namespace: uniqueNamespace('gone'), bucket, key: 'x.yaml' }),
      'NotFound',
      true,
    );
    await expectFailure(
      activityEnv().env.run(acts.backupNamespace, {
        namespace: 'default',
        bucket: 'hwayo-no-such-bucket',
        key: 'x.yaml',
      }),
      'NotFound',
      true,
      /bucket/,
    );
  });
});

describe('deleteNamespace', () => {
  test('deletes and waits until gone, heartbeating; deleting again is fine', async () => {
    const { blue } = await blueEnv('del');
    const { env, heartbeats } = activityEnv();
    expect(await env.run(acts.deleteNamespace, { name: blue, waitMs: 90_000 })).toEqual({ deleted: true });
    await expect(admin.core.readNamespace({ name: blue })).rejects.toMatchObject({ code: 404 });
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(await activityEnv().env.run(acts.deleteNamespace, { name: blue, waitMs: 1000 })).toEqual({ deleted: false });
  });

  test('a namespace that does not finish terminating in time is a retryable Timeout', async () => {
    const name = uniqueNamespace('del-stuck');
    created.push(name);
    await admin.core.createNamespace({ body: { metadata: { name } } });
    const release = await blockDeletion(name);
    try {
      await expectFailure(
        activityEnv().env.run(acts.deleteNamespace, { name, waitMs: 2000 }),
        'Timeout',
        false,
        /Terminating/,
      );
    } finally {
      await release();
    }
  });
});
