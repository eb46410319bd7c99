// Shared by the data-plane tests (dataplane.test.ts through dataplane-control.ts, traefik-router.test.ts):
// a fresh green, its api-gateway's image, and waiting until every endpoint answers as it.
import { PatchStrategy, setHeaderOptions, type V1EndpointSlice } from '@kubernetes/client-node';
import type { KubeClients } from '../../src/activities/kubernetes/client';
import { deleteNamespaces, eventually, seedBlue } from './kube-helpers';

/** Deletes `namespace` and waits until it is gone, with its pods and Services. */
export async function deleteNamespaceAndWait(admin: KubeClients, namespace: string): Promise<void> {
  await deleteNamespaces(admin, [namespace]);
  await eventually(
    `${namespace} gone`,
    async () => !(await admin.core.listNamespace()).items.some((n) => n.metadata?.name === namespace),
    120_000,
  );
}

/** A fresh green: any old one gone, blue's layout seeded under its name. */
export async function freshGreen(admin: KubeClients, green: string): Promise<void> {
  await deleteNamespaceAndWait(admin, green);
  await seedBlue(admin, green);
}

/** Green's api-gateway Deployment runs image tag `tag` (a rollout starts). */
export async function setGreenImage(admin: KubeClients, green: string, tag: string): Promise<void> {
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
}

/** The ready endpoints of `namespace`'s api-gateway Service as `http://ip:port`, sorted. */
export async function readyServers(admin: KubeClients, namespace: string): Promise<string[]> {
  const slices = await admin.getJson<{ items: V1EndpointSlice[] }>(
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dapi-gateway`,
  );
  return slices.items
    .flatMap((s) =>
      (s.endpoints ?? [])
        .filter((e) => e.conditions?.ready)
        .flatMap((e) => e.addresses.map((ip) => `http://${ip}:${s.ports?.[0]?.port ?? 3000}`)),
    )
    .sort();
}

/** The version the stand-in at `server` answers as; undefined while nothing listens there. */
async function versionAt(server: string): Promise<string | undefined> {
  const r = await fetch(`${server}/api/v1/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return r?.headers.get('x-hwayo-version') ?? undefined;
}

/**
 * Green's api-gateway image; the stand-ins take their behaviour from its tag. Returns once the old pods
 * are gone and each of the two ready endpoints answers as `tag` itself: kwok marks a pod Ready before the
 * runner's process for it listens (no readiness probe), and a gateway sends users there at once (502).
 * Asking each pod IP (loopback) directly, not through the runner's proxy, which tries the next endpoint.
 * `gatewayHas` (optional): the gateway balances over exactly these servers too.
 */
export async function deployGreenImage(
  admin: KubeClients,
  green: string,
  tag: string,
  gatewayHas?: (servers: string[]) => Promise<boolean>,
): Promise<void> {
  await setGreenImage(admin, green, tag);
  let seen = '';
  await eventually(
    `green serving ${tag} on every endpoint`,
    async () => {
      const servers = await readyServers(admin, green);
      const pods = await admin.core.listNamespacedPod({ namespace: green, labelSelector: 'app=api-gateway' });
      const versions = await Promise.all(servers.map(versionAt));
      const podList = pods.items.map((p) => `${p.metadata?.name}@${p.status?.podIP}:${p.spec?.containers[0].image}`);
      seen = `pods ${podList.join(', ')}; ready ${servers.map((x, i) => `${x}=${versions[i]}`).join(', ')}`;
      if (servers.length !== 2 || pods.items.length !== 2) return false;
      if (!pods.items.every((p) => p.spec?.containers[0].image?.endsWith(`:${tag}`))) return false;
      return versions.every((v) => v === tag) && (!gatewayHas || (await gatewayHas(servers)));
    },
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${seen}`);
  });
}
