// Driving the stack's data plane directly (docs/stack.md "Data plane"), for dataplane.test.ts and
// bench/dataplane.bench.ts: the route through the real traffic activities, green's image, and the local
// plan's queries over short windows.
import type { MetricSpec, TrafficSpec } from '../../src/plan/types';
import { createTrafficActivities } from '../../src/activities/traffic';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import { loadPlanFile } from '../../src/plan/load';
import { isOfProvider } from '../../src/plan/metric-queries';
import { metricQueries } from '../../src/workflows/analysis';
import { deployGreenImage } from './dataplane-helpers';
import { gatewayServers, gatewayWeightOf } from './gateway';
import { activityEnv, eventually, kubeConfigForStack } from './kube-helpers';

export const BLUE = 'hwayo-production';
export const GREEN = 'hwayo-production-green';
const { config, admin } = kubeConfigForStack();
const traffic = createTrafficActivities(config);
const route: TrafficSpec = { ...(DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec), provider: 'gateway-api' };
/** setTrafficWeight on `spec`: `header` is where the canary-header users go (absent: the activity's default). */
export const shifter = (spec: TrafficSpec) => (greenWeight: number, header?: 'green' | 'blue') =>
  activityEnv().env.run(traffic.setTrafficWeight, {
    route: spec,
    blueNamespace: BLUE,
    greenNamespace: GREEN,
    greenWeight,
    ...(header ? { header } : {}),
  });
export const shift = shifter(route);

/**
 * Green's api-gateway image (deployGreenImage), and Traefik balances over exactly green's ready endpoints:
 * its informers lag the apiserver, and until they catch up it answers green's share itself (500 without a
 * server, 502 to a stopped pod's IP).
 */
export async function deployGreen(tag: string) {
  let atGateway: string[] = [];
  await deployGreenImage(admin, GREEN, tag, async (servers) => {
    atGateway = await gatewayServers(GREEN);
    return JSON.stringify(atGateway) === JSON.stringify(servers);
  }).catch((err: Error) => {
    throw new Error(`${err.message}; the gateway's servers of green: ${atGateway.join(', ') || 'none'}`);
  });
}

export async function shiftAndWait(w: number, header?: 'green' | 'blue'): Promise<number> {
  const t0 = Date.now();
  await shift(w, header);
  await eventually(`gateway at ${w}%`, async () => (await gatewayWeightOf(GREEN)) === w, 30_000);
  return Date.now() - t0;
}

// The local plan (examples/local-plan.yaml): its own queries and thresholds decide,
// over 10 s windows instead of 30 s so the test stays short.
export const plan = loadPlanFile(`${__dirname}/../../examples/local-plan.yaml`);
export const WINDOW_S = 10;
export const planMetrics: MetricSpec[] = plan.metrics.map((m) =>
  isOfProvider(m, 'prometheus') ? { ...m, query: m.query.replace(/\[30s\]/g, `[${WINDOW_S}s]`) } : m,
);
export const greenQueries = () =>
  metricQueries(
    planMetrics,
    { blueNamespace: BLUE, greenNamespace: GREEN, app: plan.app, version: 'dataplane-test' },
    'canary',
  );
