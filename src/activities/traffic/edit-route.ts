// Optimistic read-modify-write of a route object (VirtualService / HTTPRoute).
import { isDeepStrictEqual } from 'node:util';
import type { TrafficSpec } from '../../plan/types';
import type { KubeClients } from '../kube/client';
import { retryOnConflict } from '../kube/errors';
import { routeKind, type RouteKind } from './routes';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- apiserver JSON; routes.ts types the fields it edits */
export type RouteObject = any;

/** Equal as JSON (what the apiserver stores), whatever the objects' prototypes or key order. */
const sameJson = (a: unknown, b: unknown) => isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));

/**
 * Reads the route, lets `edit` change a copy, and writes it back only if it changed, conditional on
 * the resourceVersion read: a concurrent writer makes the write fail with 409 and the edit run again
 * on fresh state (up to `maxAttempts`, then a retryable Conflict failure).
 */
export async function editRoute(
  k: KubeClients, route: Pick<TrafficSpec, 'provider' | 'name' | 'namespace'>,
  edit: (obj: RouteObject, kind: RouteKind) => void | Promise<void>, maxAttempts = 8,
): Promise<{ changed: boolean; obj: RouteObject }> {
  const kind = routeKind(route);
  const ref = { group: kind.group, version: kind.version, namespace: route.namespace, plural: kind.plural, name: route.name };
  return retryOnConflict(`update ${kind.plural} ${route.namespace}/${route.name}`, async () => {
    const current: RouteObject = await k.custom.getNamespacedCustomObject(ref);
    const next: RouteObject = structuredClone(current);
    await edit(next, kind);
    if (sameJson(next, current)) return { changed: false, obj: current };
    const written: RouteObject = await k.custom.replaceNamespacedCustomObject({ ...ref, body: next, fieldManager: k.fieldManager });
    return { changed: true, obj: written };
  }, maxAttempts);
}
