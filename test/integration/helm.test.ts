// The worker's Helm chart (deploy/helm/hwayo-release), linted and installed with the real helm
// (scripts/install/helm.sh) into both local clusters, region a and region b (scripts/stack/components/region-b.sh).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { eventually } from './activity-env';
import { stackVar } from './stack';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'hwayo-release');
const HELM = join(process.env.HWAYO_CACHE ?? join(homedir(), '.cache', 'hwayo-release'), 'bin', 'helm');
// helm's own cache and config in a directory of the test's, not the user's.
const home = mkdtempSync(join(tmpdir(), 'hwayo-helm-'));
const env = { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home };
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, encoding: 'utf8', stdio: 'pipe' });
const helm = (...args: string[]) => run(HELM, args);
/** What a failed command printed on stderr (execFileSync throws with it). */
const stderrOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return String((e as { stderr?: string }).stderr);
  }
  throw new Error('the command succeeded');
};

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: unknown[];
  [k: string]: unknown;
}
const docs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);

const release = `t-helm-${randomBytes(3).toString('hex')}`;
const name = `${release}-worker`;
const POLICY = 'version: 1\nenvironments: []\n';
const values = (cluster: string) => ['--set', `cluster=${cluster}`, '--set-string', `policy.yaml=${POLICY}`];
const regions = [
  { cluster: 'a', kubeconfig: stackVar('KUBECONFIG'), kubectl: stackVar('HWAYO_KUBECTL') },
  { cluster: 'b', kubeconfig: stackVar('HWAYO_KUBECONFIG_B'), kubectl: stackVar('HWAYO_KUBECTL_B') },
];

afterAll(() => {
  for (const r of regions) {
    try {
      helm('uninstall', release, '-n', release, '--kubeconfig', r.kubeconfig);
    } catch {
      // not installed (its test failed early)
    }
    run(r.kubectl, [
      '--kubeconfig',
      r.kubeconfig,
      'delete',
      'namespace',
      release,
      '--ignore-not-found',
      '--wait=false',
    ]);
  }
});

describe('the worker chart', () => {
  it('lints, and refuses a missing or malformed cluster name', () => {
    expect(helm('lint', '--strict', CHART, ...values('a'))).toContain('0 chart(s) failed');
    expect(stderrOf(() => helm('template', 'x', CHART, '--set-string', `policy.yaml=${POLICY}`))).toContain(
      'values: cluster is required',
    );
    expect(stderrOf(() => helm('template', 'x', CHART, ...values('Region_A')))).toContain(
      'cluster "Region_A" must be lowercase letters, digits and dashes',
    );
    expect(stderrOf(() => helm('template', 'x', CHART, '--set', 'cluster=a'))).toContain('values: policy.yaml');
  });

  it('grants exactly the rules of deploy/kubernetes/rbac.yaml', () => {
    const rulesOf = (objs: Obj[], prefix: string) =>
      Object.fromEntries(
        objs
          .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
          .map((o) => [`${o.kind} ${o.metadata.name.slice(prefix.length)}`, JSON.stringify(o.rules)]),
      );
    const chart = docs(helm('template', 'hwayo-release', CHART, '-n', 'hwayo-release', ...values('a')));
    const plain = docs(readFileSync(join(ROOT, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8'));
    // With the release hwayo-release in namespace hwayo-release, the chart's names are deploy/kubernetes' own.
    expect(rulesOf(chart, 'hwayo-release-worker')).toEqual(rulesOf(plain, 'hwayo-release-worker'));
    const vap = (objs: Obj[]) => JSON.stringify(objs.find((o) => o.kind === 'ValidatingAdmissionPolicy')?.spec);
    expect(vap(chart)).toBe(vap(plain));
    expect(Object.keys(rulesOf(chart, ''))).toHaveLength(5);
  });

  describe.each(regions)('installed into region $cluster', ({ cluster, kubeconfig, kubectl }) => {
    const kube = (...args: string[]) => run(kubectl, ['--kubeconfig', kubeconfig, ...args]);
    const get = (args: string[]) => JSON.parse(kube('get', ...args, '-o', 'json')) as Obj & { items: Obj[] };
    const sa = `system:serviceaccount:${release}:${name}`;
    const can = (...args: string[]) => {
      try {
        return kube('auth', 'can-i', '--as', sa, ...args).trim();
      } catch (e) {
        return String((e as { stdout?: string }).stdout).trim();
      }
    };
    let manifest: Obj[] = [];
    beforeAll(() => {
      helm(
        'install',
        release,
        CHART,
        '-n',
        release,
        '--create-namespace',
        '--kubeconfig',
        kubeconfig,
        ...values(cluster),
      );
      manifest = docs(helm('get', 'manifest', release, '-n', release, '--kubeconfig', kubeconfig));
    });

    it(`runs the worker on task queue hwayo-${cluster} as its own ServiceAccount, codec keys from the Secret`, () => {
      const d = get(['-n', release, 'deployment', name]) as unknown as {
        spec: { template: { spec: { serviceAccountName: string; containers: { env: unknown[] }[] } } };
      };
      const pod = d.spec.template.spec;
      expect(pod.serviceAccountName).toBe(name);
      expect(pod.containers[0].env).toEqual(
        expect.arrayContaining([
          { name: 'HWAYO_TASK_QUEUE', value: `hwayo-${cluster}` },
          { name: 'HWAYO_CLUSTER', value: cluster },
          {
            name: 'HWAYO_CODEC_KEYS',
            valueFrom: { secretKeyRef: { name: 'hwayo-release-worker-secrets', key: 'HWAYO_CODEC_KEYS' } },
          },
        ]),
      );
      const config = get(['-n', release, 'configmap', `${name}-config`]) as unknown as { data: Record<string, string> };
      expect(config.data).toMatchObject({
        HWAYO_TASK_QUEUE: `hwayo-${cluster}`,
        HWAYO_POLICY: `configmap:${release}/${release}-policy`,
        HWAYO_KUBE_ENVIRONMENT_ROLE: `${name}-environment`,
      });
      expect(get(['-n', release, 'configmap', `${release}-policy`]).data).toEqual({ 'policy.yaml': POLICY });
      get(['-n', release, 'serviceaccount', name]);
    });

    it('creates nothing cluster-wide but its ClusterRoles, one ClusterRoleBinding and the admission policy', () => {
      const clusterWide = manifest.filter((o) => !o.metadata.namespace).map((o) => `${o.kind}/${o.metadata.name}`);
      expect(clusterWide.sort()).toEqual(
        [
          `ClusterRole/${name}`,
          `ClusterRole/${name}-environment`,
          `ClusterRole/${name}-mesh`,
          `ClusterRole/${name}-route`,
          `ClusterRoleBinding/${name}`,
          `ValidatingAdmissionPolicy/${name}-namespaces`,
          `ValidatingAdmissionPolicyBinding/${name}-namespaces`,
        ].sort(),
      );
      // In the cluster as the manifest says: the one ClusterRoleBinding binds the worker's own role to its account.
      const crb = get(['clusterrolebinding', name]) as unknown as { roleRef: { name: string }; subjects: unknown[] };
      expect(crb.roleRef.name).toBe(name);
      expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace: release }]);
      const bindings = get(['clusterrolebindings', '-l', `app.kubernetes.io/instance=${release}`]).items;
      expect(bindings.map((b) => b.metadata.name)).toEqual([name]);
    });

    it("leaves everyone else's writes alone: its admission policy's registry is installed with it", () => {
      expect(get(['-n', release, 'configmap', `${release}-environments`]).metadata.name).toBe(
        `${release}-environments`,
      );
      kube('-n', release, 'create', 'configmap', 'admin-write', '--from-literal=k=v');
      kube('-n', release, 'delete', 'configmap', 'admin-write');
    });

    it('lets the ServiceAccount do what the worker needs and no more', async () => {
      // The authorizer learns new bindings from an informer: wait until the first grant is in effect.
      await eventually('the ServiceAccount may list nodes', 30_000, async () =>
        can('list', 'nodes') === 'yes' ? true : undefined,
      );
      expect(can('get', `configmap/${release}-policy`, '-n', release)).toBe('yes');
      expect(can('create', 'namespaces')).toBe('yes');
      expect(can('get', 'configmap/other', '-n', release)).toBe('no');
      expect(can('get', 'secrets', '--all-namespaces')).toBe('no');
      expect(can('create', 'deployments', '-n', 'hwayo-production')).toBe('no');
      expect(can('update', 'httproutes.gateway.networking.k8s.io', '-n', 'hwayo-gateway')).toBe('no');
    });
  });
});
