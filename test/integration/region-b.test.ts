// Region b of the local stack (scripts/stack/components/region-b.sh): a second cluster apart from region a,
// with its own gateway and stand-in pods, which Prometheus scrapes with cluster="b".
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { runLoad } from '../fixtures/dataplane/loadgen';
import { eventually } from './activity-env';
import { uniqueNamespace } from './kube-helpers';
import { stackVar } from './stack';

jest.mock('@kubernetes/client-node', () => jest.requireActual('./native-esm').kubernetesClient());
jest.setTimeout(120_000);

const clusterOf = (file: string) => {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return { server: kc.getCurrentCluster()?.server ?? '', core: kc.makeApiClient(CoreV1Api) };
};
const a = clusterOf(stackVar('KUBECONFIG'));
const b = clusterOf(stackVar('HWAYO_KUBECONFIG_B'));
const status = (e: unknown) => (e as { code?: number }).code;

describe('region b', () => {
  const ns = uniqueNamespace('region-b');
  afterAll(() => b.core.deleteNamespace({ name: ns }).catch(() => undefined));

  it('has its own apiserver on loopback, answering beside region a', async () => {
    expect(a.server).toBe('https://127.0.0.1:16443');
    expect(b.server).toBe('https://127.0.0.1:26443');
    // Both list their own seeded blue; region b's pods are on its own loopback pod network.
    const podsA = await a.core.listNamespacedPod({ namespace: 'hwayo-production' });
    const podsB = await b.core.listNamespacedPod({ namespace: 'hwayo-production' });
    expect(podsA.items.length).toBeGreaterThan(0);
    expect(podsB.items.map((p) => p.status?.podIP ?? '')).toEqual(
      podsB.items.map(() => expect.stringMatching(/^127\.2\.\d+\.\d+$/)),
    );
    expect(podsB.items.length).toBeGreaterThan(0);
  });

  it('keeps a write to region b out of region a', async () => {
    await b.core.createNamespace({ body: { metadata: { name: ns } } });
    await b.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'only-b' }, data: { k: 'b' } } });
    expect((await b.core.readNamespacedConfigMap({ namespace: ns, name: 'only-b' })).data).toEqual({ k: 'b' });
    await expect(a.core.readNamespace({ name: ns }).catch(status)).resolves.toBe(404);
    await expect(a.core.readNamespacedConfigMap({ namespace: ns, name: 'only-b' }).catch(status)).resolves.toBe(404);
  });

  it("serves users at region b's gateway from region b's blue", async () => {
    const samples = await runLoad({ url: stackVar('HWAYO_TRAEFIK_URL_B'), rps: 20, count: 20, maxSeconds: 15 });
    expect(samples.map((s) => [s.status, s.namespace])).toEqual(samples.map(() => [200, 'hwayo-production']));
    expect(samples).toHaveLength(20);
  });

  it('has Prometheus scraping region b\'s stand-in pods with cluster="b"', async () => {
    const podIps = (await b.core.listNamespacedPod({ namespace: 'hwayo-production' })).items.map(
      (p) => `${p.status?.podIP}:3000`,
    );
    const q = encodeURIComponent('up{job="hwayo-pods",cluster="b",kubernetes_namespace="hwayo-production"} == 1');
    const instances = await eventually("region b's pods scraped", 30_000, async () => {
      const r = (await (await fetch(`${stackVar('PROMETHEUS_URL')}/api/v1/query?query=${q}`)).json()) as {
        data: { result: { metric: { instance: string } }[] };
      };
      const found = r.data.result.map((x) => x.metric.instance).sort();
      return found.length === podIps.length ? found : undefined;
    });
    expect(instances).toEqual(podIps.sort());
  });
});
