import { awaitApplied } from '../../src/activities/traffic/await-applied';
import { routeApplied } from '../../src/activities/traffic/routers/gateway-api/applied';

const parent = (observedGeneration: number, accepted = 'True') => ({
  parentRef: { namespace: 'hwayo-gateway', name: 'hwayo-gateway' },
  controllerName: 'traefik.io/gateway-controller',
  conditions: [
    {
      type: 'Accepted',
      status: accepted,
      observedGeneration,
      reason: accepted === 'True' ? 'Accepted' : 'NotAllowedByListeners',
    },
    { type: 'ResolvedRefs', status: 'False', observedGeneration, reason: 'RefNotPermitted' },
  ],
});
const route = (generation: number, ...parents: object[]) => ({
  metadata: { generation, namespace: 'hwayo-gateway' },
  spec: { parentRefs: [{ name: 'hwayo-gateway' }] },
  ...(parents.length ? { status: { parents } } : {}),
});

test('a route is applied once every parent reports its generation; an unresolved weight-0 ref does not hold it', () => {
  expect(routeApplied(route(7, parent(7)))).toEqual({ state: 'applied' });
  expect(routeApplied(route(7, parent(8)))).toEqual({ state: 'applied' });
  expect(routeApplied(route(7, parent(7), parent(6)))).toEqual({
    state: 'pending',
    detail: 'traefik.io/gateway-controller (parent hwayo-gateway/hwayo-gateway) reports generation 6 of 7',
  });
  expect(routeApplied(route(7, parent(6)))).toMatchObject({ state: 'pending' });
});

test('a status entry for a Gateway the route no longer names is not waited for', () => {
  const former = { ...parent(2), parentRef: { namespace: 'hwayo-gateway', name: 'old-gateway' } };
  expect(routeApplied(route(7, parent(7), former))).toEqual({ state: 'applied' });
  expect(routeApplied(route(7, former))).toEqual({ state: 'unobserved' });
});

test('a route no controller reported on is unobserved; one the gateway refused at this generation is refused', () => {
  expect(routeApplied(route(3))).toEqual({ state: 'unobserved' });
  expect(routeApplied(route(3, { ...parent(3), conditions: [] }))).toMatchObject({ state: 'pending' });
  expect(routeApplied(route(3, parent(3, 'False')))).toEqual({
    state: 'refused',
    detail:
      'traefik.io/gateway-controller (parent hwayo-gateway/hwayo-gateway) did not accept generation 3: NotAllowedByListeners',
  });
});

const where = 'httproutes hwayo-gateway/hwayo-canary';

test('awaiting the gateway: returns when a later read reports the written generation', async () => {
  const reads = [route(5, parent(4)), route(5, parent(5))];
  let n = 0;
  await awaitApplied(where, route(5, parent(4)), routeApplied, async () => reads[n++], 5_000);
  expect(n).toBe(2);
});

test('awaiting the gateway: a gateway that never reports fails the attempt, retryable, naming the route and generation', async () => {
  const stale = route(9, parent(8));
  await expect(awaitApplied(where, stale, routeApplied, async () => stale, 600)).rejects.toMatchObject({
    nonRetryable: false,
    message:
      'the gateway has not applied httproutes hwayo-gateway/hwayo-canary within 0.6 s: ' +
      'traefik.io/gateway-controller (parent hwayo-gateway/hwayo-gateway) reports generation 8 of 9',
  });
});
