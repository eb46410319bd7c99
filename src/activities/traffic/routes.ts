// Pure edits of the two route kinds the seed's canary can run on. Each edit changes the object in
// place; the caller compares before/after to know whether anything needs writing.
//  Istio VirtualService: spec.http[] = { match?, route: [{ destination: { host, port }, weight }] }
//  Gateway API HTTPRoute: spec.rules[] = { matches?, backendRefs: [{ name, namespace?, port, weight }] }
import { renderDestination, serviceRef, shortHost } from '../../plan/destinations';
import type { TrafficSpec } from '../../plan/types';
import { nonRetryable } from '../errors';

// The objects come from the apiserver as JSON; these describe only the fields we touch.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

export interface Sides { blue: string; green: string; maintenance: string; port: number; header: { name: string; value: string }; routeNamespace: string; blueNamespace: string; greenNamespace: string }

export function sidesOf(route: TrafficSpec, blueNamespace: string, greenNamespace: string): Sides {
  return {
    blue: renderDestination(route.blueDestination, blueNamespace),
    green: renderDestination(route.greenDestination, greenNamespace),
    maintenance: renderDestination(route.maintenanceDestination, route.namespace),
    port: route.port,
    header: route.canaryHeader,
    routeNamespace: route.namespace,
    blueNamespace,
    greenNamespace,
  };
}

export interface RouteKind {
  group: string;
  version: string;
  plural: string;
  /** The list of routing rules (spec.http / spec.rules). */
  rules(obj: Json): Json[];
  setRules(obj: Json, rules: Json[]): void;
  /** Default rule: blue (100 - g) and green (g); header rule: green 100. */
  setWeights(obj: Json, s: Sides, greenWeight: number): void;
  /** Default and header rule both to `s.maintenance` only. */
  routeAllToMaintenance(obj: Json, s: Sides): void;
  /** Share of the default rule's traffic (percent) on blue, on green, and the other backends it names. */
  shares(obj: Json, s: Sides): { blue: number; green: number; others: string[] };
}

/** Percent of the total for each weight; an absent weight counts as `absent` (the API's default). */
function percents(weights: (number | undefined)[], absent: number): number[] {
  const w = weights.map((x) => (typeof x === 'number' ? x : absent));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => (total > 0 ? Math.round((x / total) * 1000) / 10 : 0));
}

/** The routing rules as they were before maintenance mode, so turning it off restores them exactly. */
export const PRE_MAINTENANCE_ANNOTATION = 'release.hwayo.io/pre-maintenance-rules';

export const inMaintenance = (obj: Json): boolean => obj?.metadata?.annotations?.[PRE_MAINTENANCE_ANNOTATION] !== undefined;

const invalid = (msg: string) => nonRetryable('InvalidInput', msg);

// ---- Istio ----------------------------------------------------------------------------------------

const sameHost = (a: string, b: string) => shortHost(a) === shortHost(b);

function istioHeaderRule(rule: Json, h: Sides['header']): boolean {
  return (rule.match ?? []).some((m: Json) => m?.headers?.[h.name]?.exact === h.value);
}

function istioRules(obj: Json, s: Sides): { header?: Json; main: Json } {
  const http: Json[] = obj.spec?.http ?? [];
  const header = http.find((r) => istioHeaderRule(r, s.header));
  const main = http.find((r) => r !== header && (r.route ?? []).some((d: Json) => sameHost(d.destination?.host ?? '', s.blue) || sameHost(d.destination?.host ?? '', s.green)));
  if (!main) throw invalid(`VirtualService ${obj.metadata?.namespace}/${obj.metadata?.name} has no route to ${s.blue} or ${s.green}`);
  return { header, main };
}

/** The existing destination entry for `host` (keeping its subset, headers...) or a new one. */
function istioDest(route: Json[], host: string, port: number, weight: number): Json {
  const existing = route.find((d) => sameHost(d.destination?.host ?? '', host));
  return existing ? { ...existing, weight } : { destination: { host, port: { number: port } }, weight };
}

export const istio: RouteKind = {
  group: 'networking.istio.io',
  version: 'v1',
  plural: 'virtualservices',
  rules: (obj) => obj.spec?.http ?? [],
  setRules: (obj, rules) => { obj.spec = { ...(obj.spec ?? {}), http: rules }; },
  setWeights(obj, s, g) {
    const { header, main } = istioRules(obj, s);
    const others = (main.route as Json[]).filter((d) => !sameHost(d.destination?.host ?? '', s.blue) && !sameHost(d.destination?.host ?? '', s.green));
    if (others.length) throw invalid(`default route of ${obj.metadata?.name} also sends traffic to ${others.map((d) => d.destination?.host).join(', ')}; refusing to drop it`);
    main.route = [istioDest(main.route, s.blue, s.port, 100 - g), istioDest(main.route, s.green, s.port, g)];
    if (header) header.route = [istioDest(header.route ?? [], s.green, s.port, 100)];
    else {
      obj.spec.http.unshift({
        name: 'canary-header',
        match: [{ headers: { [s.header.name]: { exact: s.header.value } } }],
        route: [{ destination: { host: s.green, port: { number: s.port } }, weight: 100 }],
      });
    }
  },
  shares(obj, s) {
    const { main } = istioRules(obj, s);
    const route: Json[] = main.route ?? [];
    const pct = percents(route.map((d) => d.weight), route.length === 1 ? 100 : 0);
    const sum = (host: string) => route.reduce((acc, d, i) => acc + (sameHost(d.destination?.host ?? '', host) ? pct[i] : 0), 0);
    const others = route.filter((d, i) => pct[i] > 0 && !sameHost(d.destination?.host ?? '', s.blue) && !sameHost(d.destination?.host ?? '', s.green)).map((d) => String(d.destination?.host));
    return { blue: sum(s.blue), green: sum(s.green), others };
  },
  routeAllToMaintenance(obj, s) {
    const { header, main } = istioRules(obj, s);
    for (const rule of [main, header].filter(Boolean)) rule.route = [istioDest(rule.route ?? [], s.maintenance, s.port, 100)];
  },
};

// ---- Gateway API ----------------------------------------------------------------------------------


function refMatches(ref: Json, target: { name: string; namespace: string }, routeNamespace: string): boolean {
  const kind = ref.kind ?? 'Service';
  return kind === 'Service' && (ref.group ?? '') === '' && ref.name === target.name && (ref.namespace ?? routeNamespace) === target.namespace;
}

function gatewayHeaderRule(rule: Json, h: Sides['header']): boolean {
  return (rule.matches ?? []).some((m: Json) => (m?.headers ?? []).some((x: Json) =>
    String(x.name).toLowerCase() === h.name.toLowerCase() && x.value === h.value && (x.type ?? 'Exact') === 'Exact'));
}

function gatewayRules(obj: Json, s: Sides) {
  const blue = serviceRef(s.blue, s.blueNamespace);
  const green = serviceRef(s.green, s.greenNamespace);
  const rules: Json[] = obj.spec?.rules ?? [];
  const header = rules.find((r) => gatewayHeaderRule(r, s.header));
  const main = rules.find((r) => r !== header && (r.backendRefs ?? []).some((b: Json) => refMatches(b, blue, s.routeNamespace) || refMatches(b, green, s.routeNamespace)));
  if (!main) throw invalid(`HTTPRoute ${obj.metadata?.namespace}/${obj.metadata?.name} has no backendRef to ${s.blue} or ${s.green}`);
  return { header, main, blue, green };
}

function gatewayRef(refs: Json[], target: { name: string; namespace: string }, s: Sides, weight: number): Json {
  const existing = refs.find((b) => refMatches(b, target, s.routeNamespace));
  if (existing) return { ...existing, weight };
  const ref: Json = { name: target.name, port: s.port, weight };
  if (target.namespace !== s.routeNamespace) ref.namespace = target.namespace;
  return ref;
}

export const gatewayApi: RouteKind = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
  rules: (obj) => obj.spec?.rules ?? [],
  setRules: (obj, rules) => { obj.spec = { ...(obj.spec ?? {}), rules }; },
  setWeights(obj, s, g) {
    const { header, main, blue, green } = gatewayRules(obj, s);
    const others = (main.backendRefs as Json[]).filter((b) => !refMatches(b, blue, s.routeNamespace) && !refMatches(b, green, s.routeNamespace));
    if (others.length) throw invalid(`default rule of ${obj.metadata?.name} also sends traffic to ${others.map((b) => b.name).join(', ')}; refusing to drop it`);
    main.backendRefs = [gatewayRef(main.backendRefs, blue, s, 100 - g), gatewayRef(main.backendRefs, green, s, g)];
    if (header) header.backendRefs = [gatewayRef(header.backendRefs ?? [], green, s, 100)];
    else {
      obj.spec.rules.unshift({
        matches: [{ headers: [{ type: 'Exact', name: s.header.name, value: s.header.value }] }],
        backendRefs: [gatewayRef([], green, s, 100)],
      });
    }
  },
  shares(obj, s) {
    const { main, blue, green } = gatewayRules(obj, s);
    const refs: Json[] = main.backendRefs ?? [];
    const pct = percents(refs.map((b) => b.weight), 1);
    const sum = (target: { name: string; namespace: string }) => refs.reduce((acc, b, i) => acc + (refMatches(b, target, s.routeNamespace) ? pct[i] : 0), 0);
    const others = refs.filter((b, i) => pct[i] > 0 && !refMatches(b, blue, s.routeNamespace) && !refMatches(b, green, s.routeNamespace)).map((b) => `${b.namespace ?? s.routeNamespace}/${b.name}`);
    return { blue: sum(blue), green: sum(green), others };
  },
  routeAllToMaintenance(obj, s) {
    const { header, main } = gatewayRules(obj, s);
    const target = serviceRef(s.maintenance, s.routeNamespace);
    for (const rule of [main, header].filter(Boolean)) rule.backendRefs = [gatewayRef(rule.backendRefs ?? [], target, s, 100)];
  },
};

export const routeKind = (route: Pick<TrafficSpec, 'provider'>): RouteKind => (route.provider === 'istio' ? istio : gatewayApi);
