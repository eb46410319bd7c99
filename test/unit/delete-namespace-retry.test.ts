// A worker killed while deleting a namespace (chaos suite: retiring blue) retries the delete after the namespace
// controller has removed the RoleBinding that allowed it: the retry's 403 must not fail a delete that happened.
import { MockActivityEnvironment } from '@temporalio/testing';
import type { KubeClients } from '../../src/activities/kubernetes/client';
import { deleteNamespace } from '../../src/activities/kubernetes/workloads';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('../integration/native-esm')>('../integration/native-esm').kubernetesClient(),
);

const status = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

function fakeKube(namespace: 'terminating' | 'active'): { k: KubeClients; reads: () => number } {
  let reads = 0;
  const core = {
    deleteNamespace: async () => {
      throw status(403);
    },
    readNamespace: async () => {
      reads++;
      if (namespace === 'terminating' && reads > 2) throw status(404);
      return namespace === 'terminating'
        ? { metadata: { name: 'blue', deletionTimestamp: new Date() }, status: { phase: 'Terminating' } }
        : { metadata: { name: 'blue' }, status: { phase: 'Active' } };
    },
  };
  return { k: { core } as unknown as KubeClients, reads: () => reads };
}

test('delete namespace answered 403 while the namespace is already terminating: waits for it to go, deleted', async () => {
  const { k, reads } = fakeKube('terminating');
  const r = await new MockActivityEnvironment().run(deleteNamespace, k, { name: 'blue', waitMs: 30_000 });
  expect(r).toEqual({ deleted: true });
  expect(reads()).toBeGreaterThanOrEqual(3);
});

test('delete namespace answered 403 while the namespace is active: still PermissionDenied', async () => {
  const { k } = fakeKube('active');
  await expect(new MockActivityEnvironment().run(deleteNamespace, k, { name: 'blue', waitMs: 30_000 })).rejects.toThrow(
    /delete namespace blue/,
  );
});
