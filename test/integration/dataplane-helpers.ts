// Shared by the data-plane tests (traefik-router.test.ts; dataplane.test.ts has its own copy for now):
// deploying an image to green's api-gateway and waiting until every endpoint answers as that version.
import { PatchStrategy, setHeaderOptions, type V1EndpointSlice } from '@kubernetes/client-node';
import type { KubeClients } from '../../src/activities/kubernetes/client';
import { eventually } from './kube-helpers';
import { stackVar } from './stack';

/** Green's api-gateway image; the stand-ins take their behaviour from its tag. */
export async function deployGreenImage(admin: KubeClients, green: string, tag: string): Promise<void> {
  await admin.apps.patchNamespacedDeployment(
    {
      namespace: green,
      name: 'api-gateway',
      body: {
        spec: {
          template: {
            spec: { containers: [{ name: 'api-gateway', image: `registry.local/hwayo-api-gateway:${tag}` }] },
          },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  // Every endpoint of green's Service answers as `tag` (the old pods and their processes are gone).
  await eventually(
    `green serving ${tag}`,
    async () => {
      const r = await fetch(`${stackVar('DATAPLANE_SERVICE_URL')}/ns/${green}/api-gateway/api/v1/health`);
      const slices = await admin.getJson<{ items: V1EndpointSlice[] }>(
        `/apis/discovery.k8s.io/v1/namespaces/${green}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dapi-gateway`,
      );
      const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      const pods = await admin.core.listNamespacedPod({ namespace: green, labelSelector: 'app=api-gateway' });
      return (
        r.headers.get('x-hwayo-version') === tag &&
        ready.length === 2 &&
        pods.items.length === 2 &&
        pods.items.every((p) => p.spec?.containers[0].image?.endsWith(`:${tag}`))
      );
    },
    120_000,
  );
}
