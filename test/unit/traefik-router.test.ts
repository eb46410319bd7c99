// The Traefik router's object building (src/activities/traffic/routers/traefik): the weighted
// TraefikService's entries and the IngressRoute's canary-header route, as stored JSON.
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import type { TrafficSpec } from '../../src/plan/types';
import { routers, sidesOf } from '../../src/activities/traffic/routers';
import { headerMatcher, setHeaderRoute } from '../../src/activities/traffic/routers/traefik/ingress-route';

/* eslint-disable @typescript-eslint/no-explicit-any -- apiserver JSON */
const traefik = routers.traefik;
const route: TrafficSpec = { ...(DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec), provider: 'traefik' };
const BLUE = 'hwayo-production';
const GREEN = 'hwayo-production-green';
const s = sidesOf(route, BLUE, GREEN);

const traefikService = (services: any[]): any => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'TraefikService',
  metadata: { name: 'hwayo-canary', namespace: 'hwayo-gateway' },
  spec: { weighted: { services } },
});
const blueEntry = (weight?: number) => ({ name: 'api-gateway', namespace: BLUE, port: 80, weight });
const greenEntry = (weight?: number) => ({ name: 'api-gateway', namespace: GREEN, port: 80, weight });

function invalidMessage(f: () => void): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApplicationFailure);
    expect((e as ApplicationFailure).type).toBe('InvalidInput');
    return (e as Error).message;
  }
  throw new Error('expected InvalidInput');
}

describe('traefik router: weighted TraefikService', () => {
  test.each([
    [0, [blueEntry(100)]],
    [5, [blueEntry(95), greenEntry(5)]],
    [50, [blueEntry(50), greenEntry(50)]],
    [100, [greenEntry(100)]],
  ])('weight %i writes only the sides with a positive weight', (g, expected) => {
    const obj = traefikService([blueEntry(100)]);
    traefik.setWeights(obj, s, g);
    expect(obj.spec.weighted.services).toEqual(expected);
    expect(traefik.shares(obj, s)).toEqual({ blue: 100 - g, green: g, others: [] });
  });

  test('setting the weight it has changes nothing (idempotent), and existing entry fields are kept', () => {
    const obj = traefikService([{ ...blueEntry(75), strategy: 'wrr' }, greenEntry(25)]);
    const before = structuredClone(obj);
    traefik.setWeights(obj, s, 25);
    expect(obj).toEqual(before);
    traefik.setWeights(obj, s, 30);
    expect(obj.spec.weighted.services[0]).toEqual({ ...blueEntry(70), strategy: 'wrr' });
  });

  test('an entry without a namespace is in the route namespace; without a weight it weighs 1 (Traefik default)', () => {
    const sameNs = sidesOf({ ...route, namespace: BLUE }, BLUE, GREEN);
    const obj = traefikService([
      { name: 'api-gateway', port: 80 },
      { ...greenEntry(), weight: undefined },
    ]);
    obj.metadata.namespace = BLUE;
    expect(traefik.shares(obj, sameNs)).toEqual({ blue: 50, green: 50, others: [] });
    traefik.setWeights(obj, sameNs, 10);
    expect(obj.spec.weighted.services).toEqual([
      { name: 'api-gateway', port: 80, weight: 90 },
      { name: 'api-gateway', namespace: GREEN, port: 80, weight: 10 },
    ]);
  });

  test('a third backend is refused (never dropped silently) and reported by shares', () => {
    const obj = traefikService([blueEntry(90), { name: 'legacy', kind: 'TraefikService', weight: 10 }]);
    expect(invalidMessage(() => traefik.setWeights(obj, s, 5))).toMatch(
      /TraefikService hwayo-gateway\/hwayo-canary also sends traffic to TraefikService hwayo-gateway\/legacy/,
    );
    expect(traefik.shares(obj, s)).toEqual({ blue: 90, green: 0, others: ['TraefikService hwayo-gateway/legacy'] });
  });

  test('a TraefikService that is not weighted, or names neither side, is refused', () => {
    expect(
      invalidMessage(() => traefik.setWeights({ metadata: { name: 'x', namespace: 'y' }, spec: {} }, s, 5)),
    ).toMatch(/TraefikService y\/x is not weighted/);
    expect(invalidMessage(() => traefik.shares(traefikService([{ name: 'other', port: 80 }]), s))).toMatch(
      /has no weighted service api-gateway.hwayo-production.svc.cluster.local/,
    );
  });

  test('maintenance: all to the maintenance Service; rules/setRules restore the entries exactly', () => {
    const obj = traefikService([blueEntry(95), greenEntry(5)]);
    const saved = structuredClone(traefik.rules(obj));
    traefik.routeAllToMaintenance(obj, s);
    expect(obj.spec.weighted.services).toEqual([{ name: 'maintenance-page', port: 80, weight: 100 }]);
    traefik.setRules(obj, saved);
    expect(obj.spec.weighted.services).toEqual([blueEntry(95), greenEntry(5)]);
  });
});

describe('traefik router: the IngressRoute header route', () => {
  const ingressRoute = (routes: any[]): any => ({
    metadata: { name: 'hwayo-canary', namespace: 'hwayo-gateway' },
    spec: { entryPoints: ['web'], routes },
  });
  const main = {
    kind: 'Rule',
    match: 'Host(`traefik.hwayo.com`)',
    services: [{ name: 'hwayo-canary', kind: 'TraefikService' }],
  };
  const green = { name: 'api-gateway', namespace: GREEN };

  test('added before the default route, matching its rule and the header, to green only', () => {
    const ir = ingressRoute([main]);
    setHeaderRoute(ir, 'hwayo-canary', s, green);
    expect(headerMatcher(s.header)).toBe('Header(`canary`, `true`)');
    expect(ir.spec.routes).toEqual([
      {
        kind: 'Rule',
        match: '(Host(`traefik.hwayo.com`)) && Header(`canary`, `true`)',
        services: [{ name: 'api-gateway', namespace: GREEN, port: 80 }],
      },
      main,
    ]);
    const again = structuredClone(ir);
    setHeaderRoute(again, 'hwayo-canary', s, green);
    expect(again).toEqual(ir);
  });

  test('an existing header route is re-pointed (to the next green, or maintenance), its rule kept', () => {
    const header = {
      kind: 'Rule',
      match: 'Host(`a`) && Header(`canary`, `true`)',
      services: [{ name: 'old', port: 80 }],
    };
    const ir = ingressRoute([header, main]);
    setHeaderRoute(ir, 'hwayo-canary', s, { name: 'maintenance-page', namespace: 'hwayo-gateway' });
    expect(ir.spec.routes[0]).toEqual({ ...header, services: [{ name: 'maintenance-page', port: 80 }] });
    expect(ir.spec.routes[1]).toBe(main);
  });

  test('an explicit priority on the default route is topped by the header route', () => {
    const ir = ingressRoute([{ ...main, priority: 10 }]);
    setHeaderRoute(ir, 'hwayo-canary', s, green);
    expect(ir.spec.routes[0].priority).toBe(11);
  });

  test('an IngressRoute with no route to the TraefikService is refused, naming both', () => {
    const ir = ingressRoute([{ ...main, services: [{ name: 'other', kind: 'TraefikService' }] }]);
    expect(invalidMessage(() => setHeaderRoute(ir, 'hwayo-canary', s, green))).toBe(
      'IngressRoute hwayo-gateway/hwayo-canary has no route to TraefikService hwayo-canary',
    );
  });
});
