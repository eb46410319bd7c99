// Service references as Traefik's CRDs write them (TraefikService weighted entries, IngressRoute
// services): { name, namespace?, port, weight?, kind? }; no kind is a Service, no namespace the object's.
import type { Json, Sides } from '../router';

export type Target = { name: string; namespace: string };

/** Does the entry name Service `target`? */
export function traefikRefMatches(ref: Json, target: Target, objectNamespace: string): boolean {
  return (
    (ref.kind ?? 'Service') === 'Service' &&
    ref.name === target.name &&
    (ref.namespace ?? objectNamespace) === target.namespace
  );
}

/**
 * The existing entry for `target` (keeping its port, strategy...) with `weight` (none: no weight field), or a new one.
 */
export function traefikEntry(refs: Json[], target: Target, s: Sides, weight?: number): Json {
  const existing = refs.find((r) => traefikRefMatches(r, target, s.routeNamespace));
  const entry: Json = existing ? { ...existing } : { name: target.name, port: s.port };
  if (!existing && target.namespace !== s.routeNamespace) entry.namespace = target.namespace;
  if (weight === undefined) delete entry.weight;
  else entry.weight = weight;
  return entry;
}
