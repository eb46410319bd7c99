// Traffic shifting on an Istio VirtualService or a Gateway API HTTPRoute: read-modify-write with
// resourceVersion conflict retry; setting the weight the route already has writes nothing.
import type { ActivityConfig } from './config';
import type { MaintenanceInput, TrafficInput, TrafficResult } from './contract';
import { nonRetryable } from './errors';
import { lazyKubeClients } from './kube/client';
import { editRoute, type RouteObject } from './traffic/edit-route';
import { sidesOf } from './traffic/routes';

/** The routing rules as they were before maintenance mode, so turning it off restores them exactly. */
export const PRE_MAINTENANCE_ANNOTATION = 'release.hwayo.io/pre-maintenance-rules';

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
        const saved: string | undefined = route.metadata.annotations?.[PRE_MAINTENANCE_ANNOTATION];
        if (input.on && saved === undefined) {
          route.metadata.annotations = { ...(route.metadata.annotations ?? {}), [PRE_MAINTENANCE_ANNOTATION]: JSON.stringify(kind.rules(route)) };
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
