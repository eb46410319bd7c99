// The canary-header route of the Traefik router: a route of the IngressRoute that sends users to the
// TraefikService (same name and namespace as it), matching what the default route matches plus the
// header, to one Service: green's once it gets users, blue's before (../router.ts headerSideFor).
// Traefik ranks routes by rule length, so the longer header rule wins over the default one without a
// priority (an explicit priority on the default route is topped by one).
import { isDeepStrictEqual } from 'node:util';
import { serviceRef } from '../../../../plan/destinations';
import type { TrafficSpec } from '../../../../plan/types';
import type { KubeClients } from '../../../kubernetes/client';
import { isNotFound, retryOnConflict } from '../../../kubernetes/errors';
import { headerDestination, invalid, type HeaderSide, type Json, type Sides } from '../router';
import { traefikEntry } from './refs';

export const INGRESS_ROUTE = { group: 'traefik.io', version: 'v1alpha1', plural: 'ingressroutes' };

/** Traefik v3 rule syntax for "header `name` is exactly `value`". */
export const headerMatcher = (h: Sides['header']) => `Header(\`${h.name}\`, \`${h.value}\`)`;

/**
 * Points the IngressRoute's header route at `target` (a Service), adding the route after the default
 * one's match if there is none. Pure: edits `ir` in place. Throws InvalidInput when no route of `ir`
 * sends users to the TraefikService `traefikService`, since then the weights would route nobody.
 */
export function setHeaderRoute(
  ir: Json,
  traefikService: string,
  s: Sides,
  target: { name: string; namespace: string },
): void {
  const ns = ir.metadata?.namespace ?? s.routeNamespace;
  const routes: Json[] = ir.spec?.routes ?? [];
  const main = routes.find((r) =>
    (r.services ?? []).some(
      (x: Json) => x.kind === 'TraefikService' && x.name === traefikService && (x.namespace ?? ns) === ns,
    ),
  );
  if (!main) throw invalid(`IngressRoute ${ns}/${ir.metadata?.name} has no route to TraefikService ${traefikService}`);
  const matcher = headerMatcher(s.header);
  const header = routes.find((r) => r !== main && typeof r.match === 'string' && r.match.includes(matcher));
  if (header) {
    header.services = [traefikEntry(header.services ?? [], target, s)];
    return;
  }
  const added: Json = { kind: 'Rule', match: `(${main.match}) && ${matcher}`, services: [traefikEntry([], target, s)] };
  if (typeof main.priority === 'number' && main.priority > 0) added.priority = main.priority + 1;
  ir.spec = { ...(ir.spec ?? {}), routes: [added, ...routes] };
}

/**
 * Points the header route of the IngressRoute `route.name` at `to`: a side's Service, or the maintenance
 * Service. Writes only when that changes, with the resourceVersion read (a concurrent writer: read
 * again). Idempotent under retry.
 */
export async function syncHeaderRoute(
  k: KubeClients,
  route: TrafficSpec,
  s: Sides,
  to: HeaderSide | 'maintenance',
): Promise<void> {
  const ref = { ...INGRESS_ROUTE, namespace: route.namespace, name: route.name };
  const where = `ingressroutes ${route.namespace}/${route.name}`;
  const side = to === 'maintenance' ? undefined : headerDestination(s, to);
  const target = side ? serviceRef(side.destination, side.namespace) : serviceRef(s.maintenance, s.routeNamespace);
  // Raw calls inside: retryOnConflict classifies failures and retries a 409 on fresh state.
  await retryOnConflict(`update ${where}`, async () => {
    const current: Json = await k.custom.getNamespacedCustomObject(ref).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!current)
      throw invalid(
        `IngressRoute ${route.namespace}/${route.name} (the users' route to the TraefikService) does not exist`,
      );
    const next = structuredClone(current);
    setHeaderRoute(next, route.name, s, target);
    if (isDeepStrictEqual(next, current)) return;
    await k.custom.replaceNamespacedCustomObject({ ...ref, body: next, fieldManager: k.fieldManager });
  });
}
