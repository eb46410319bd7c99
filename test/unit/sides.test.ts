// Which namespace of the pair is blue (stages/preflight.ts sidesFor), and the route's shares each router reads.
import { routers, sidesOf } from '../../src/activities/traffic/routers';
import { defaultPlan } from '../../src/plan/load';
import { sidesFor } from '../../src/workflows/stages/preflight';

const { istio, 'gateway-api': gatewayApi } = routers;
const plan = defaultPlan();

test('the live namespace of the pair is blue; when none is live the plan order stands', () => {
  const pair = { blue: 'prod-a', green: 'prod-b' };
  expect(sidesFor(pair, 'prod-a')).toEqual({ blue: 'prod-a', green: 'prod-b', swapped: false });
  expect(sidesFor(pair, 'prod-b')).toEqual({ blue: 'prod-b', green: 'prod-a', swapped: true });
  expect(sidesFor(pair, undefined)).toEqual({ blue: 'prod-a', green: 'prod-b', swapped: false });
});

test('route shares: Istio weights (a lone destination is 100%), Gateway API weights relative (absent = 1)', () => {
  const route = { ...plan.traffic, namespace: 'gw' };
  const s = sidesOf(route, 'prod-a', 'prod-b');
  const host = (ns: string) => ({ destination: { host: `api-gateway.${ns}.svc.cluster.local` } });
  expect(istio.shares({ spec: { http: [{ route: [host('prod-b')] }] } }, s)).toEqual({
    blue: 0,
    green: 100,
    others: [],
  });
  expect(
    istio.shares(
      {
        spec: {
          http: [
            {
              route: [
                { ...host('prod-a'), weight: 95 },
                { ...host('prod-b'), weight: 5 },
              ],
            },
          ],
        },
      },
      s,
    ),
  ).toEqual({ blue: 95, green: 5, others: [] });
  const ref = (ns: string, weight?: number) => ({
    name: 'api-gateway',
    namespace: ns,
    port: 80,
    ...(weight === undefined ? {} : { weight }),
  });
  expect(
    gatewayApi.shares(
      { metadata: { namespace: 'gw' }, spec: { rules: [{ backendRefs: [ref('prod-a'), ref('prod-b')] }] } },
      s,
    ),
  ).toEqual({ blue: 50, green: 50, others: [] });
  expect(
    gatewayApi.shares(
      {
        metadata: { namespace: 'gw' },
        spec: {
          rules: [{ backendRefs: [ref('prod-a', 3), ref('prod-b', 0), { name: 'other', port: 80, weight: 1 }] }],
        },
      },
      s,
    ),
  ).toEqual({ blue: 75, green: 0, others: ['gw/other'] });
});
