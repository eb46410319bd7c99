// Traffic shifting against the local apiserver, on both route kinds the plan supports: the Istio
// VirtualService and the Gateway API HTTPRoute of the seeded blue environment (SEED 5.2). Every
// outcome is read back from the apiserver.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { TrafficSpec } from '../../src/plan/types';
import { editRoute } from '../../src/activities/traffic/edit-route';
import { createTrafficActivities, PRE_MAINTENANCE_ANNOTATION } from '../../src/activities/traffic';
import { createPreflightActivities } from '../../src/activities/preflight';
import { DEFAULT_PLAN_DOCUMENT } from '../../src/plan/defaults';
import {
  activityEnv,
  deleteNamespaces,
  kubeConfigForStack,
  leastPrivilegeKubeconfig,
  seedBlue,
  uniqueNamespace,
  withKubeconfig,
} from './kube-helpers';
import { kubeClients } from '../../src/activities/kubernetes/client';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(60_000);

const { config, admin } = kubeConfigForStack();
const acts = createTrafficActivities(config);
const health = createPreflightActivities(config);
const created: string[] = [];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
afterAll(async () => {
  await deleteNamespaces(admin, created);
});

/* eslint-disable @typescript-eslint/no-explicit-any -- route objects are apiserver JSON */
type Json = any;

const KINDS = {
  istio: { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' },
  'gateway-api': { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  traefik: { group: 'traefik.io', version: 'v1alpha1', plural: 'traefikservices' },
} as const;

/** The seed's traffic spec, pointed at a blue environment of this test's own. */
function routeFor(provider: TrafficSpec['provider'], blue: string): TrafficSpec {
  const seed = DEFAULT_PLAN_DOCUMENT.traffic as TrafficSpec;
  return {
    ...seed,
    provider,
    namespace: blue,
    blueDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
    greenDestination: 'api-gateway.{{namespace}}.svc.cluster.local',
    maintenanceDestination: `maintenance-page.${blue}.svc.cluster.local`,
  };
}

async function readRoute(route: TrafficSpec): Promise<Json> {
  return admin.custom.getNamespacedCustomObject({
    ...KINDS[route.provider],
    namespace: route.namespace,
    name: route.name,
  });
}

/** Weights of the default (unmatched) rule by destination, and the header rule's destinations, as stored. */
async function weights(provider: TrafficSpec['provider'], obj: Json) {
  if (provider === 'traefik') {
    // The TraefikService holds the sides with a positive weight; the header route is in the IngressRoute.
    const ns = obj.metadata.namespace;
    const key = (b: Json) => `${b.name}.${b.namespace ?? ns}`;
    const ir: Json = await admin.custom.getNamespacedCustomObject({
      group: 'traefik.io',
      version: 'v1alpha1',
      plural: 'ingressroutes',
      namespace: ns,
      name: obj.metadata.name,
    });
    const header = ir.spec.routes.find((r: Json) => r.match.includes('Header('));
    const main: Record<string, number> = Object.fromEntries(
      obj.spec.weighted.services.map((b: Json) => [key(b), b.weight]),
    );
    return { main, header: Object.fromEntries(header.services.map((b: Json) => [key(b), 100])) };
  }
  if (provider === 'istio') {
    const rules: Json[] = obj.spec.http;
    const header = rules.find((r) => r.match);
    const main = rules.find((r) => !r.match);
    return {
      main: Object.fromEntries(
        main.route.map((d: Json) => [d.destination.host.split('.').slice(0, 2).join('.'), d.weight]),
      ),
      header: Object.fromEntries(
        header.route.map((d: Json) => [d.destination.host.split('.').slice(0, 2).join('.'), d.weight]),
      ),
    };
  }
  const rules: Json[] = obj.spec.rules;
  const key = (b: Json) => `${b.name}.${b.namespace ?? obj.metadata.namespace}`;
  const header = rules.find((r) => r.matches?.some((m: Json) => m.headers));
  const main = rules.find((r) => r !== header);
  return {
    main: Object.fromEntries(main.backendRefs.map((b: Json) => [key(b), b.weight])),
    header: Object.fromEntries(header.backendRefs.map((b: Json) => [key(b), b.weight])),
  };
}

async function expectFailure(p: Promise<unknown>, type: string, nonRetryable: boolean) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect({ type: (err as ApplicationFailure).type, nonRetryable: (err as ApplicationFailure).nonRetryable }).toEqual({
    type,
    nonRetryable,
  });
}

describe.each(['istio', 'gateway-api', 'traefik'] as const)('%s', (provider) => {
  let blue: string;
  let green: string;
  let route: TrafficSpec;
  beforeAll(async () => {
    blue = uniqueNamespace({ istio: 'vs', 'gateway-api': 'hr', traefik: 'ts' }[provider]);
    green = `${blue}-green`;
    created.push(blue);
    await seedBlue(admin, blue);
    route = routeFor(provider, blue);
  });
  const shift = (greenWeight: number, spec = route) =>
    activityEnv().env.run(acts.setTrafficWeight, {
      route: spec,
      blueNamespace: blue,
      greenNamespace: green,
      greenWeight,
    });

  test('each canary step is stored on the route; the header rule goes to green while it has users, else to blue', async () => {
    for (const w of [5, 25, 50, 100, 0]) {
      const t0 = process.hrtime.bigint();
      const r = await shift(w);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (w === 5) console.log(`[measure] ${provider} traffic shift to ${w}% took ${ms.toFixed(1)} ms`);
      expect(r).toMatchObject({ greenWeight: w, changed: true });
      const stored = await readRoute(route);
      expect(stored.metadata.resourceVersion).toBe(r.resourceVersion);
      // Traefik's TraefikService holds only the sides with a positive weight (router traefik/index.ts).
      const main = { [`api-gateway.${blue}`]: 100 - w, [`api-gateway.${green}`]: w };
      expect(await weights(provider, stored)).toEqual({
        main: provider === 'traefik' ? Object.fromEntries(Object.entries(main).filter(([, x]) => x > 0)) : main,
        header: { [`api-gateway.${w > 0 ? green : blue}`]: 100 },
      });
    }
  });

  test('setting the weight the route already has writes nothing', async () => {
    const first = await shift(25);
    const again = await shift(25);
    expect(again).toEqual({ greenWeight: 25, changed: false, resourceVersion: first.resourceVersion });
    expect((await readRoute(route)).metadata.resourceVersion).toBe(first.resourceVersion);
  });

  test('a concurrent writer between our read and our write: 409, re-read, both changes kept', async () => {
    await shift(0);
    const k = kubeClients(admin.kc, config.kubernetes.fieldManager);
    let attempts = 0;
    const { changed } = await editRoute(k, route, async (obj, kind) => {
      attempts++;
      if (attempts === 1) {
        // Someone else (another tool) labels the route after we read it: our resourceVersion is stale.
        await admin.custom.patchNamespacedCustomObject(
          {
            ...KINDS[provider],
            namespace: blue,
            name: route.name,
            body: { metadata: { labels: { 'other-writer': 'yes' } } },
          },
          mergePatch,
        );
      }
      kind.setWeights(
        obj,
        {
          blue: `api-gateway.${blue}.svc.cluster.local`,
          green: `api-gateway.${green}.svc.cluster.local`,
          maintenance: '',
          port: 80,
          header: route.canaryHeader,
          routeNamespace: blue,
          blueNamespace: blue,
          greenNamespace: green,
        },
        50,
      );
    });
    expect(attempts).toBe(2);
    expect(changed).toBe(true);
    const stored = await readRoute(route);
    expect(stored.metadata.labels['other-writer']).toBe('yes');
    expect((await weights(provider, stored)).main[`api-gateway.${green}`]).toBe(50);
  });

  test('a writer that always wins exhausts the retries as a retryable Conflict', async () => {
    const k = kubeClients(admin.kc, config.kubernetes.fieldManager);
    let n = 0;
    const p = editRoute(
      k,
      route,
      async (obj) => {
        await admin.custom.patchNamespacedCustomObject(
          {
            ...KINDS[provider],
            namespace: blue,
            name: route.name,
            body: { metadata: { labels: { 'other-writer': String(n++) } } },
          },
          mergePatch,
        );
        obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ours: 'x' };
      },
      3,
    );
    await expectFailure(p, 'Conflict', false);
    expect(n).toBe(3);
  });

  test('maintenance mode sends default and header traffic to the maintenance page, and off restores the rules exactly', async () => {
    await shift(25);
    const before = await readRoute(route);
    const m = (on: boolean) =>
      activityEnv().env.run(acts.setMaintenanceMode, { route, blueNamespace: blue, greenNamespace: green, on });
    expect(await m(true)).toEqual({ changed: true });
    const during = await readRoute(route);
    const page = `maintenance-page.${blue}`;
    expect(await weights(provider, during)).toEqual({ main: { [page]: 100 }, header: { [page]: 100 } });
    expect(during.metadata.annotations[PRE_MAINTENANCE_ANNOTATION]).toBeDefined();
    expect(await m(true)).toEqual({ changed: false });
    // No canary step may silently end maintenance.
    await expectFailure(shift(50), 'InvalidInput', true);

    expect(await m(false)).toEqual({ changed: true });
    const after = await readRoute(route);
    const rules = { istio: 'http', 'gateway-api': 'rules', traefik: 'weighted' }[provider];
    expect(after.spec[rules]).toEqual(before.spec[rules]);
    expect(after.metadata.annotations?.[PRE_MAINTENANCE_ANNOTATION]).toBeUndefined();
    expect(await m(false)).toEqual({ changed: false });
  });

  test('the release-baseline check passes only while the route sends everything to blue and green is absent or empty', async () => {
    const services = DEFAULT_PLAN_DOCUMENT.services.map((x) => x.name);
    const baseline = (b = blue, g = green, spec = route) =>
      activityEnv().env.run(health.runCheck, {
        check: { name: 'release-baseline', group: 'infrastructure', kind: 'release-baseline' },
        context: { blueNamespace: b, greenNamespace: g, route: spec, services },
      });
    await shift(0);
    const ok = await baseline();
    expect(ok).toMatchObject({
      name: 'release-baseline',
      ok: true,
      data: { blueShare: 100, greenShare: 0, blueDeployments: 6, missingInBlue: 0 },
    });
    expect(ok.detail).toContain(`green (${green}) does not exist yet`);

    // Which of the pair is production, as the workflow asks before its checks.
    const live = (spec = route) =>
      activityEnv().env.run(acts.findLiveEnvironment, { route: spec, namespaces: [blue, green] });
    expect(await live()).toMatchObject({ live: blue });
    await shift(100);
    expect(await live()).toMatchObject({ live: green });
    expect((await live({ ...route, name: 'no-such-route' })).live).toBeUndefined();

    // A release in flight on this route.
    await shift(5);
    expect(await live()).toEqual({ detail: expect.stringContaining(`splits traffic (${blue} 95%, ${green} 5%)`) });
    const inFlight = await baseline();
    expect(inFlight.ok).toBe(false);
    expect(inFlight.detail).toContain(`sends 5% of traffic to green (${green}), expected 0%`);
    await shift(0);

    // The previous release succeeded: production is in "green", so this plan has its sides the wrong way round.
    const swapped = await baseline(green, blue);
    expect(swapped.ok).toBe(false);
    expect(swapped.detail).toContain(`sends 100% of traffic to green (${blue})`);
    expect(swapped.detail).toContain(
      `blue (${green}) has no Deployment for ${services.join(', ')}; if the last release succeeded`,
    );

    // A green left running (by a release that ended without cleaning up, or production itself).
    created.push(green);
    await seedBlue(admin, green);
    const leftover = await baseline();
    expect(leftover.ok).toBe(false);
    expect(leftover.detail).toContain(`green (${green}) already runs ${services.join(', ')}`);
    expect(leftover.data).toMatchObject({ greenDeployments: 6 });
    await admin.core.deleteNamespace({ name: green });
    const terminating = await baseline();
    expect(terminating.ok).toBe(false);
    expect(terminating.detail).toContain(`green (${green}) is still being deleted`);

    // A missing route and maintenance mode are failed checks, not errors.
    expect((await baseline(blue, green, { ...route, name: 'no-such-route' })).detail).toContain(
      `${route.namespace}/no-such-route does not exist`,
    );
    const m = (on: boolean) =>
      activityEnv().env.run(acts.setMaintenanceMode, { route, blueNamespace: blue, greenNamespace: green, on });
    await m(true);
    try {
      expect((await baseline()).detail).toContain('is in maintenance mode');
      expect((await live()).live).toBeUndefined();
    } finally {
      await m(false);
    }
  });

  test('a route that does not exist is NotFound; a weight outside 0..100 InvalidInput', async () => {
    await expectFailure(shift(5, { ...route, name: 'no-such-route' }), 'NotFound', true);
    await expectFailure(shift(101), 'InvalidInput', true);
  });

  test('an identity that may read but not update routes gets PermissionDenied and changes nothing', async () => {
    const before = await readRoute(route);
    const kubeconfig = await leastPrivilegeKubeconfig(admin, blue, `route-reader-${provider}`, [
      { apiGroups: [KINDS[provider].group], resources: [KINDS[provider].plural], verbs: ['get'] },
    ]);
    const limited = createTrafficActivities(withKubeconfig(config, kubeconfig));
    const target = (await weights(provider, before)).main[`api-gateway.${green}`] === 75 ? 70 : 75;
    await expectFailure(
      activityEnv().env.run(limited.setTrafficWeight, {
        route,
        blueNamespace: blue,
        greenNamespace: green,
        greenWeight: target,
      }),
      'PermissionDenied',
      true,
    );
    expect((await readRoute(route)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});
