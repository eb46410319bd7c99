// The weights of the stack's HTTPRoute (hwayo-gateway/hwayo-canary) as one cluster's apiserver stores them.
import type { CustomObjectsApi } from '@kubernetes/client-node';

type Route = {
  spec: { rules: { matches?: { headers?: unknown[] }[]; backendRefs: { namespace?: string; weight?: number }[] }[] };
};

/** Each backend namespace's weight in the route's default rule (the one without header matches). */
export async function routeWeightsIn(custom: CustomObjectsApi): Promise<Record<string, number>> {
  const route = (await custom.getNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    namespace: 'hwayo-gateway',
    name: 'hwayo-canary',
  })) as Route;
  const main = route.spec.rules.find((r) => !(r.matches ?? []).some((m) => m.headers?.length))!;
  return Object.fromEntries(main.backendRefs.map((b) => [b.namespace ?? 'hwayo-gateway', b.weight ?? 1]));
}
