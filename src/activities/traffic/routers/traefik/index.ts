// Traefik's own CRDs (traefik.io/v1alpha1). The route object is a weighted TraefikService,
// spec.weighted.services[] = { name, namespace?, port, weight?, kind? }, between blue's and green's
// Services; the users reach it through the IngressRoute of the same name and namespace, whose route to
// the TraefikService is the default one. The canary-header route lives in that IngressRoute
// (./ingress-route.ts): TraefikServices match nothing, IngressRoutes do.
// Layout: both objects in the route's namespace, the Services in the environments' namespaces, so
// Traefik's kubernetesCRD provider must run with allowCrossNamespace (docs/architecture.md).
// Only sides with a positive weight are written: Traefik ignores a weight-0 backend for traffic but still
// resolves its Service, and a Service that does not exist (green before deployGreen or after rollback,
// blue after its retention) makes Traefik drop the whole TraefikService, every user with it.
import { serviceRef } from '../../../../plan/destinations';
import { headerSideFor, inMaintenance, invalid, percents, type Json, type Router, type Sides } from '../router';
import { syncHeaderRoute } from './ingress-route';
import { traefikEntry, traefikRefMatches, type Target } from './refs';

function weighted(obj: Json, s: Sides) {
  const services: Json[] | undefined = obj.spec?.weighted?.services;
  const where = `TraefikService ${obj.metadata?.namespace}/${obj.metadata?.name}`;
  if (!Array.isArray(services)) throw invalid(`${where} is not weighted (no spec.weighted.services)`);
  const blue = serviceRef(s.blue, s.blueNamespace);
  const green = serviceRef(s.green, s.greenNamespace);
  const isSide = (r: Json) =>
    traefikRefMatches(r, blue, s.routeNamespace) || traefikRefMatches(r, green, s.routeNamespace);
  if (!services.some(isSide)) throw invalid(`${where} has no weighted service ${s.blue} or ${s.green}`);
  return { services, blue, green, isSide, where };
}

const describe = (r: Json, ns: string) =>
  `${r.kind === 'TraefikService' ? 'TraefikService ' : ''}${r.namespace ?? ns}/${r.name}`;

export const router: Router = {
  group: 'traefik.io',
  version: 'v1alpha1',
  plural: 'traefikservices',
  rules: (obj) => obj.spec?.weighted?.services ?? [],
  setRules: (obj, rules) => {
    obj.spec = { ...(obj.spec ?? {}), weighted: { ...(obj.spec?.weighted ?? {}), services: rules } };
  },
  setWeights(obj, s, g) {
    const { services, blue, green, isSide, where } = weighted(obj, s);
    const others = services.filter((r) => !isSide(r));
    if (others.length)
      throw invalid(
        `${where} also sends traffic to ${others.map((r) => describe(r, s.routeNamespace)).join(', ')}; refusing to drop it`,
      );
    const next: Json[] = [];
    if (g < 100) next.push(traefikEntry(services, blue, s, 100 - g));
    if (g > 0) next.push(traefikEntry(services, green, s, g));
    obj.spec.weighted.services = next;
  },
  shares(obj, s) {
    const { services, blue, green, isSide } = weighted(obj, s);
    // Traefik's default weight is 1; a weight <= 0 gets no traffic.
    const pct = percents(
      services.map((r) => (typeof r.weight === 'number' ? Math.max(r.weight, 0) : undefined)),
      1,
    );
    const sum = (t: Target) =>
      services.reduce((acc, r, i) => acc + (traefikRefMatches(r, t, s.routeNamespace) ? pct[i] : 0), 0);
    const others = services.filter((r, i) => pct[i] > 0 && !isSide(r)).map((r) => describe(r, s.routeNamespace));
    return { blue: sum(blue), green: sum(green), others };
  },
  routeAllToMaintenance(obj, s) {
    const { services } = weighted(obj, s);
    obj.spec.weighted.services = [traefikEntry(services, serviceRef(s.maintenance, s.routeNamespace), s, 100)];
  },
  /**
   * The IngressRoute's header route follows every edit: to maintenance with the rest, else to the side
   * asked for, or (maintenance off) to green only while the TraefikService sends it users.
   */
  followEdit: (k, route, s, edited, header) =>
    syncHeaderRoute(
      k,
      route,
      s,
      inMaintenance(edited) ? 'maintenance' : (header ?? headerSideFor(router.shares(edited, s).green)),
    ),
};
