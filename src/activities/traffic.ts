// Traffic shifting on an Istio VirtualService or a Gateway API HTTPRoute: read-modify-write with
// resourceVersion conflict retry; setting the weight the route already has writes nothing.
import { isDeepStrictEqual } from 'node:util';
import type { ActivityConfig } from './config';
import type { MaintenanceInput, TrafficInput, TrafficResult } from './contract';
import { nonRetryable } from './errors';
import { lazyKubeClients, type KubeClients } from './kube/client';
import { retryOnConflict } from './kube/errors';
import { routeKind, sidesOf, type RouteKind } from './traffic/routes';
import type { TrafficSpec } from '../plan/types';

/** The routing rules as they were before maintenance mode, so turning it off restores them exactly. */
export const PRE_MAINTENANCE_ANNOTATION = 'release.hwayo.io/pre-maintenance-rules';

/* eslint-disable @typescript-eslint/no-explicit-any */
type RouteObject = any;

/**
 * Reads the route, lets `edit` change a copy, and writes it back only if it changed, conditional on
 * the resourceVersion read (a concurrent writer makes the write fail with 409 and the edit run again).
 */
async function editRoute(k: KubeClients, route: TrafficSpec, edit: (obj: RouteObject, kind: RouteKind) => void): Promise<{ changed: boolean; obj: RouteObject }> {
  const kind = routeKind(route);
  const ref = { group: kind.group, version: kind.version, namespace: route.namespace, plural: kind.plural, name: route.name };
  return retryOnConflict(`update ${kind.plural} ${route.namespace}/${route.name}`, async () => {
    const current: RouteObject = await k.custom.getNamespacedCustomObject(ref);
    const next: RouteObject = structuredClone(current);
    edit(next, kind);
    if (isDeepStrictEqual(next, current)) return { changed: false, obj: current };
    const written: RouteObject = await k.custom.replaceNamespacedCustomObject({ ...ref, body: next, fieldManager: k.fieldManager });
    return { changed: true, obj: written };
  });
}

const inMaintenance = (obj: RouteObject) => obj?.metadata?.annotations?.[PRE_MAINTENANCE_ANNOTATION] !== undefined;

export function createTrafficActivities(config: ActivityConfig) {
  const k = lazyKubeClients(config.kubernetes);
  return {
    async setTrafficWeight(input: TrafficInput): Promise<TrafficResult> {
      const w = input.greenWeight;
      if (!Number.isInteger(w) || w < 0 || w > 100) throw nonRetryable('InvalidInput', `greenWeight must be a whole number 0..100, got ${w}`);
      const sides = sidesOf(input.route, input.blueNamespace, input.greenNamespace);
      const { changed, obj } = await editRoute(k(), input.route, (route, kind) => {
        if (inMaintenance(route)) throw nonRetryable('InvalidInput', `${input.route.name} is in maintenance mode; turn it off before shifting traffic`);
        kind.setWeights(route, sides, w);
      });
      return { greenWeight: w, changed, resourceVersion: obj?.metadata?.resourceVersion };
    },

    async setMaintenanceMode(input: MaintenanceInput): Promise<{ changed: boolean }> {
      const sides = sidesOf(input.route, input.blueNamespace, input.greenNamespace);
      const { changed } = await editRoute(k(), input.route, (route, kind) => {
        route.metadata.annotations ??= {};
        const saved: string | undefined = route.metadata.annotations[PRE_MAINTENANCE_ANNOTATION];
        if (input.on && saved === undefined) {
          route.metadata.annotations[PRE_MAINTENANCE_ANNOTATION] = JSON.stringify(kind.rules(route));
          kind.routeAllToMaintenance(route, sides);
        } else if (!input.on && saved !== undefined) {
          kind.setRules(route, JSON.parse(saved));
          delete route.metadata.annotations[PRE_MAINTENANCE_ANNOTATION];
        }
      });
      return { changed };
    },
  };
}
