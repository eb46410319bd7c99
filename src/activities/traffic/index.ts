// Traffic shifting on the plan's router (./routers: Istio VirtualService, Gateway API HTTPRoute, Traefik
// TraefikService): read-modify-write with resourceVersion conflict retry; setting the weight the route
// already has writes nothing.
import type { ActivityConfig } from '../config';
import type {
  LiveEnvironmentInput,
  LiveEnvironmentResult,
  MaintenanceInput,
  TrafficInput,
  TrafficResult,
} from '../contract';
import { nonRetryable } from '../errors';
import { lazyKubeClients } from '../kubernetes/client';
import { editRoute, readTrafficSplit } from './edit-route';
import { HEADER_SIDES, headerSideFor, inMaintenance, PRE_MAINTENANCE_ANNOTATION, sidesOf } from './routers';

export { PRE_MAINTENANCE_ANNOTATION };

export function createTrafficActivities(config: ActivityConfig) {
  const k = lazyKubeClients(config.kubernetes);
  return {
    /** Which of the plan's two namespaces carries production now (read only; the workflow decides). */
    async findLiveEnvironment(input: LiveEnvironmentInput): Promise<LiveEnvironmentResult> {
      const [a, b] = input.namespaces;
      const split = await readTrafficSplit(k(), input.route, a, b);
      if (split.state === 'missing') return { detail: `${split.where} does not exist` };
      if (split.state === 'maintenance') return { detail: `${split.where} is in maintenance mode` };
      const { shares, where } = split;
      if (shares.blue === 100) return { live: a, detail: `${where} sends all traffic to ${a}` };
      if (shares.green === 100) return { live: b, detail: `${where} sends all traffic to ${b}` };
      return { detail: `${where} splits traffic (${a} ${shares.blue}%, ${b} ${shares.green}%)` };
    },

    async setTrafficWeight(input: TrafficInput): Promise<TrafficResult> {
      const w = input.greenWeight;
      if (!Number.isInteger(w) || w < 0 || w > 100)
        throw nonRetryable('InvalidInput', `greenWeight must be a whole number 0..100, got ${w}`);
      const header = input.header ?? headerSideFor(w);
      if (!HEADER_SIDES.includes(header))
        throw nonRetryable('InvalidInput', `header must be green or blue, got ${JSON.stringify(input.header)}`);
      const sides = sidesOf(input.route, input.blueNamespace, input.greenNamespace);
      const { changed, obj } = await editRoute(k(), input.route, async (route, kind) => {
        if (inMaintenance(route))
          throw nonRetryable(
            'InvalidInput',
            `${input.route.name} is in maintenance mode; turn it off before shifting traffic`,
          );
        kind.setWeights(route, sides, w, header);
        // After the route is read and the edit is valid, before it is written.
        await kind.prepareBackends?.(k(), input.route, sides);
        await kind.followEdit?.(k(), input.route, sides, route, header);
      });
      return { greenWeight: w, changed, resourceVersion: obj?.metadata?.resourceVersion };
    },

    async setMaintenanceMode(input: MaintenanceInput): Promise<{ changed: boolean }> {
      const sides = sidesOf(input.route, input.blueNamespace, input.greenNamespace);
      const { changed } = await editRoute(k(), input.route, async (route, kind) => {
        const saved: string | undefined = route.metadata.annotations?.[PRE_MAINTENANCE_ANNOTATION];
        if (input.on && saved === undefined) {
          route.metadata.annotations = {
            ...(route.metadata.annotations ?? {}),
            [PRE_MAINTENANCE_ANNOTATION]: JSON.stringify(kind.rules(route)),
          };
          kind.routeAllToMaintenance(route, sides);
        } else if (!input.on && saved !== undefined) {
          kind.setRules(route, JSON.parse(saved));
          delete route.metadata.annotations[PRE_MAINTENANCE_ANNOTATION];
        }
        await kind.followEdit?.(k(), input.route, sides, route);
      });
      return { changed };
    },
  };
}
