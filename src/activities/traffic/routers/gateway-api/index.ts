// Gateway API HTTPRoute: spec.rules[] = { matches?, backendRefs: [{ name, namespace?, port, weight }] }.
// Sides are Services (name.namespace); a backendRef without a namespace is in the route's.
import { serviceRef } from '../../../../plan/destinations';
import { headerDestination, headerSideFor, invalid, percents, type Json, type Router, type Sides } from '../router';
import { routeApplied } from './applied';
import { ensureReferenceGrant } from './reference-grant';

function refMatches(ref: Json, target: { name: string; namespace: string }, routeNamespace: string): boolean {
  const kind = ref.kind ?? 'Service';
  return (
    kind === 'Service' &&
    (ref.group ?? '') === '' &&
    ref.name === target.name &&
    (ref.namespace ?? routeNamespace) === target.namespace
  );
}

function gatewayHeaderRule(rule: Json, h: Sides['header']): boolean {
  return (rule.matches ?? []).some((m: Json) =>
    (m?.headers ?? []).some(
      (x: Json) =>
        String(x.name).toLowerCase() === h.name.toLowerCase() && x.value === h.value && (x.type ?? 'Exact') === 'Exact',
    ),
  );
}

function gatewayRules(obj: Json, s: Sides) {
  const blue = serviceRef(s.blue, s.blueNamespace);
  const green = serviceRef(s.green, s.greenNamespace);
  const rules: Json[] = obj.spec?.rules ?? [];
  const header = rules.find((r) => gatewayHeaderRule(r, s.header));
  const main = rules.find(
    (r) =>
      r !== header &&
      (r.backendRefs ?? []).some(
        (b: Json) => refMatches(b, blue, s.routeNamespace) || refMatches(b, green, s.routeNamespace),
      ),
  );
  if (!main)
    throw invalid(
      `HTTPRoute ${obj.metadata?.namespace}/${obj.metadata?.name} has no backendRef to ${s.blue} or ${s.green}`,
    );
  return { header, main, blue, green };
}

function gatewayRef(refs: Json[], target: { name: string; namespace: string }, s: Sides, weight: number): Json {
  const existing = refs.find((b) => refMatches(b, target, s.routeNamespace));
  if (existing) return { ...existing, weight };
  const ref: Json = { name: target.name, port: s.port, weight };
  if (target.namespace !== s.routeNamespace) ref.namespace = target.namespace;
  return ref;
}

export const router: Router = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
  rules: (obj) => obj.spec?.rules ?? [],
  setRules: (obj, rules) => {
    obj.spec = { ...(obj.spec ?? {}), rules };
  },
  setWeights(obj, s, g, side = headerSideFor(g)) {
    const { header, main, blue, green } = gatewayRules(obj, s);
    const h = headerDestination(s, side);
    const headerRef = (refs: Json[]) => gatewayRef(refs, serviceRef(h.destination, h.namespace), s, 100);
    const others = (main.backendRefs as Json[]).filter(
      (b) => !refMatches(b, blue, s.routeNamespace) && !refMatches(b, green, s.routeNamespace),
    );
    if (others.length)
      throw invalid(
        `default rule of ${obj.metadata?.name} also sends traffic to ${others.map((b) => b.name).join(', ')}; refusing to drop it`,
      );
    main.backendRefs = [gatewayRef(main.backendRefs, blue, s, 100 - g), gatewayRef(main.backendRefs, green, s, g)];
    if (header) header.backendRefs = [headerRef(header.backendRefs ?? [])];
    else {
      obj.spec.rules.unshift({
        matches: [{ headers: [{ type: 'Exact', name: s.header.name, value: s.header.value }] }],
        backendRefs: [headerRef([])],
      });
    }
  },
  shares(obj, s) {
    const { main, blue, green } = gatewayRules(obj, s);
    const refs: Json[] = main.backendRefs ?? [];
    const pct = percents(
      refs.map((b) => b.weight),
      1,
    );
    const sum = (target: { name: string; namespace: string }) =>
      refs.reduce((acc, b, i) => acc + (refMatches(b, target, s.routeNamespace) ? pct[i] : 0), 0);
    const others = refs
      .filter((b, i) => pct[i] > 0 && !refMatches(b, blue, s.routeNamespace) && !refMatches(b, green, s.routeNamespace))
      .map((b) => `${b.namespace ?? s.routeNamespace}/${b.name}`);
    return { blue: sum(blue), green: sum(green), others };
  },
  routeAllToMaintenance(obj, s) {
    const { header, main } = gatewayRules(obj, s);
    const target = serviceRef(s.maintenance, s.routeNamespace);
    for (const rule of [main, header].filter(Boolean))
      rule.backendRefs = [gatewayRef(rule.backendRefs ?? [], target, s, 100)];
  },
  /** The gateway reports the written generation: until then it still routes by the old weights. */
  applied: routeApplied,
  /** Both sides' Services must be referable from the route's namespace before weights move. */
  async prepareBackends(k, route, s) {
    for (const [destination, namespace] of [
      [s.green, s.greenNamespace],
      [s.blue, s.blueNamespace],
    ] as const) {
      const target = serviceRef(destination, namespace);
      await ensureReferenceGrant(k, {
        routeNamespace: route.namespace,
        routeName: route.name,
        namespace: target.namespace,
        service: target.name,
      });
    }
  },
};
