// Traffic shifting on an Istio VirtualService or a Gateway API HTTPRoute: read-modify-write with
// resourceVersion conflict retry; setting the weight the route already has writes nothing.
import type { ActivityConfig } from './config';
import type { LiveEnvironmentInput, LiveEnvironmentResult, MaintenanceInput, TrafficInput, TrafficResult } from './contract';
import { nonRetryable } from './errors';
import { lazyKubeClients } from './kube/client';
import { kubeCallOptional } from './kube/errors';
import { editRoute, type RouteObject } from './traffic/edit-route';
import { PRE_MAINTENANCE_ANNOTATION, routeKind, sidesOf } from './traffic/routes';

export { PRE_MAINTENANCE_ANNOTATION };

const inMaintenance = (obj: RouteObject) => obj?.metadata?.annotations?.[PRE_MAINTENANCE_ANNOTATION] !== undefined;

export function createTrafficActivities(config: ActivityConfig) {
  const k = lazyKubeClients(config.kubernetes);
  return {
    /** Which of the plan's two namespaces carries production now (read only; the workflow decides). */
    async findLiveEnvironment(input: LiveEnvironmentInput): Promise<LiveEnvironmentResult> {
      const [a, b] = input.namespaces;
      const kind = routeKind(input.route);
      const where = `${kind.plural} ${input.route.namespace}/${input.route.name}`;
      const obj = await kubeCallOptional(`get ${where}`, () => k().custom.getNamespacedCustomObject({
        group: kind.group, version: kind.version, namespace: input.route.namespace, plural: kind.plural, name: input.route.name,
      }));
      if (!obj) return { detail: `${where} does not exist` };
      if (inMaintenance(obj)) return { detail: `${where} is in maintenance mode` };
      const shares = kind.shares(obj, sidesOf(input.route, a, b));
      const split = `${a} ${shares.blue}%, ${b} ${shares.green}%`;
      if (shares.blue === 100) return { live: a, detail: `${where} sends all traffic to ${a}` };
      if (shares.green === 100) return { live: b, detail: `${where} sends all traffic to ${b}` };
      return { detail: `${where} splits traffic (${split})` };
    },

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
