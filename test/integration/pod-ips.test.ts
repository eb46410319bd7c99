// The stack's pod IPs are the data plane's addresses (test/fixtures/dataplane/runner.ts listens on each):
// two live pods with one IP means one of them has no process of its own and the other answers for it.
// kwok hands out the IPs; this holds on a stack started again on a kept cluster too (kube.sh start).
// Needs: up.sh kube.
import { deleteNamespaces, eventually, kubeConfigForStack, seedBlue } from './kube-helpers';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(120_000);

const NS = 'hwayo-pod-ips';
const { admin } = kubeConfigForStack();

afterAll(() => deleteNamespaces(admin, [NS]));

test('every live pod has a pod IP no other live pod holds, new pods included', async () => {
  // New pods take IPs from kwok's pool while the older pods keep theirs.
  await seedBlue(admin, NS);
  const live = async () =>
    (await admin.core.listPodForAllNamespaces()).items.filter((p) => p.status?.podIP && !p.metadata?.deletionTimestamp);
  await eventually(
    `${NS}'s 12 pods with an IP`,
    async () => (await live()).filter((p) => p.metadata?.namespace === NS).length === 12,
    60_000,
  );
  const byIp = new Map<string, string[]>();
  for (const p of await live())
    byIp.set(p.status!.podIP!, [...(byIp.get(p.status!.podIP!) ?? []), `${p.metadata?.namespace}/${p.metadata?.name}`]);
  expect([...byIp].filter(([, pods]) => pods.length > 1)).toEqual([]);
});
