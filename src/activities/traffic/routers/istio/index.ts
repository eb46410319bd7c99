// Istio VirtualService: spec.http[] = { match?, route: [{ destination: { host, port }, weight }] }.
// Sides are destination hosts; a short and a fully qualified name of the same Service match.
import { shortHost } from '../../../../plan/destinations';
import { headerDestination, headerSideFor, invalid, percents, type Json, type Router, type Sides } from '../router';

const sameHost = (a: string, b: string) => shortHost(a) === shortHost(b);

function istioHeaderRule(rule: Json, h: Sides['header']): boolean {
  return (rule.match ?? []).some((m: Json) => m?.headers?.[h.name]?.exact === h.value);
}

function istioRules(obj: Json, s: Sides): { header?: Json; main: Json } {
  const http: Json[] = obj.spec?.http ?? [];
  const header = http.find((r) => istioHeaderRule(r, s.header));
  const main = http.find(
    (r) =>
      r !== header &&
      (r.route ?? []).some(
        (d: Json) => sameHost(d.destination?.host ?? '', s.blue) || sameHost(d.destination?.host ?? '', s.green),
      ),
  );
  if (!main)
    throw invalid(
      `VirtualService ${obj.metadata?.namespace}/${obj.metadata?.name} has no route to ${s.blue} or ${s.green}`,
    );
  return { header, main };
}

/** The existing destination entry for `host` (keeping its subset, headers...) or a new one. */
function istioDest(route: Json[], host: string, port: number, weight: number): Json {
  const existing = route.find((d) => sameHost(d.destination?.host ?? '', host));
  return existing ? { ...existing, weight } : { destination: { host, port: { number: port } }, weight };
}

export const router: Router = {
  group: 'networking.istio.io',
  version: 'v1',
  plural: 'virtualservices',
  rules: (obj) => obj.spec?.http ?? [],
  setRules: (obj, rules) => {
    obj.spec = { ...(obj.spec ?? {}), http: rules };
  },
  setWeights(obj, s, g, side = headerSideFor(g)) {
    const { header, main } = istioRules(obj, s);
    const to = headerDestination(s, side).destination;
    const others = (main.route as Json[]).filter(
      (d) => !sameHost(d.destination?.host ?? '', s.blue) && !sameHost(d.destination?.host ?? '', s.green),
    );
    if (others.length)
      throw invalid(
        `default route of ${obj.metadata?.name} also sends traffic to ${others.map((d) => d.destination?.host).join(', ')}; refusing to drop it`,
      );
    main.route = [istioDest(main.route, s.blue, s.port, 100 - g), istioDest(main.route, s.green, s.port, g)];
    if (header) header.route = [istioDest(header.route ?? [], to, s.port, 100)];
    else {
      obj.spec.http.unshift({
        name: 'canary-header',
        match: [{ headers: { [s.header.name]: { exact: s.header.value } } }],
        route: [{ destination: { host: to, port: { number: s.port } }, weight: 100 }],
      });
    }
  },
  shares(obj, s) {
    const { main } = istioRules(obj, s);
    const route: Json[] = main.route ?? [];
    const pct = percents(
      route.map((d) => d.weight),
      route.length === 1 ? 100 : 0,
    );
    const sum = (host: string) =>
      route.reduce((acc, d, i) => acc + (sameHost(d.destination?.host ?? '', host) ? pct[i] : 0), 0);
    const others = route
      .filter(
        (d, i) =>
          pct[i] > 0 && !sameHost(d.destination?.host ?? '', s.blue) && !sameHost(d.destination?.host ?? '', s.green),
      )
      .map((d) => String(d.destination?.host));
    return { blue: sum(s.blue), green: sum(s.green), others };
  },
  routeAllToMaintenance(obj, s) {
    const { header, main } = istioRules(obj, s);
    for (const rule of [main, header].filter(Boolean))
      rule.route = [istioDest(rule.route ?? [], s.maintenance, s.port, 100)];
  },
};
