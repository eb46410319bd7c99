// Reading a route object (VirtualService / HTTPRoute), and its optimistic read-modify-write.
import { isDeepStrictEqual } from 'node:util';
import type { TrafficSpec } from '../../plan/types';
import type { KubeClients } from '../kubernetes/client';
import { kubeCallOptional, retryOnConflict } from '../kubernetes/errors';
import { awaitApplied } from './await-applied';
import { inMaintenance, routerOf, sidesOf, type Router } from './routers';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- apiserver JSON; routers/ type the fields they edit */
export type RouteObject = any;

type RouteName = Pick<TrafficSpec, 'provider' | 'name' | 'namespace'>;

/** The custom-object coordinates of the route, and how messages name it. */
function routeRef(route: RouteName) {
  const kind = routerOf(route);
  return {
    kind,
    where: `${kind.plural} ${route.namespace}/${route.name}`,
    ref: {
      group: kind.group,
      version: kind.version,
      namespace: route.namespace,
      plural: kind.plural,
      name: route.name,
    },
  };
}

export type TrafficSplit =
  | { where: string; state: 'missing' }
  | { where: string; state: 'maintenance' }
  | { where: string; state: 'routing'; shares: { blue: number; green: number; others: string[] } };

/** How the route splits its default traffic between `blue` and `green` (read only). */
export async function readTrafficSplit(
  k: KubeClients,
  route: TrafficSpec,
  blue: string,
  green: string,
): Promise<TrafficSplit> {
  const { kind, where, ref } = routeRef(route);
  const obj: RouteObject = await kubeCallOptional(`get ${where}`, () => k.custom.getNamespacedCustomObject(ref));
  if (!obj) return { where, state: 'missing' };
  if (inMaintenance(obj)) return { where, state: 'maintenance' };
  return { where, state: 'routing', shares: kind.shares(obj, sidesOf(route, blue, green)) };
}

/** Equal as JSON (what the apiserver stores), whatever the objects' prototypes or key order. */
const sameJson = (a: unknown, b: unknown) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));

/**
 * Reads the route, lets `edit` change a copy, and writes it back only if it changed, conditional on
 * the resourceVersion read: a concurrent writer makes the write fail with 409 and the edit run again
 * on fresh state (up to `maxAttempts`, then a retryable Conflict failure). Returns once the data plane
 * reports the route applied, where its router can tell (./await-applied.ts).
 */
export async function editRoute(
  k: KubeClients,
  route: RouteName,
  edit: (obj: RouteObject, kind: Router) => void | Promise<void>,
  maxAttempts = 8,
): Promise<{ changed: boolean; obj: RouteObject }> {
  const { kind, where, ref } = routeRef(route);
  const result = await retryOnConflict(
    `update ${where}`,
    async () => {
      const current: RouteObject = await k.custom.getNamespacedCustomObject(ref);
      const next: RouteObject = structuredClone(current);
      await edit(next, kind);
      if (sameJson(next, current)) return { changed: false, obj: current };
      const written: RouteObject = await k.custom.replaceNamespacedCustomObject({
        ...ref,
        body: next,
        fieldManager: k.fieldManager,
      });
      return { changed: true, obj: written };
    },
    maxAttempts,
  );
  // Written or found written (a retry after a crash): done once the data plane has taken it.
  if (kind.applied) await awaitApplied(where, result.obj, kind.applied, () => k.custom.getNamespacedCustomObject(ref));
  return result;
}
