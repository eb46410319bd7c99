// What every traffic router is: the coordinates of its route object and pure edits of it. Each edit
// changes the object in place; the caller (../edit-route.ts) compares before/after to know whether
// anything needs writing, and owns reading, conflicts and writing. One folder per router next to this
// file; ./index.ts is the registry.
import { renderDestination } from '../../../plan/destinations';
import type { TrafficSpec } from '../../../plan/types';
import { nonRetryable } from '../../errors';
import type { KubeClients } from '../../kubernetes/client';

// The objects come from the apiserver as JSON; these describe only the fields we touch.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export interface Sides {
  blue: string;
  green: string;
  maintenance: string;
  port: number;
  header: { name: string; value: string };
  routeNamespace: string;
  blueNamespace: string;
  greenNamespace: string;
}

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

/** What a route's status says about the data plane having taken its current spec. */
export type Applied =
  | { state: 'applied' }
  /** No controller has ever reported on this route: nothing to wait for. */
  | { state: 'unobserved' }
  | { state: 'pending' | 'refused'; detail: string };

export interface Router {
  group: string;
  version: string;
  plural: string;
  /** The list of routing rules (spec.http / spec.rules). */
  rules(obj: Json): Json[];
  setRules(obj: Json, rules: Json[]): void;
  /** Default rule: blue (100 - g) and green (g); header rule: `header`'s side 100 (default: headerSideFor(g)). */
  setWeights(obj: Json, s: Sides, greenWeight: number, header?: HeaderSide): void;
  /** Default and header rule both to `s.maintenance` only. */
  routeAllToMaintenance(obj: Json, s: Sides): void;
  /** Share of the default rule's traffic (percent) on blue, on green, and the other backends it names. */
  shares(obj: Json, s: Sides): { blue: number; green: number; others: string[] };
  /** What the backends need before the route may point at them (Gateway API: ReferenceGrants); idempotent. */
  prepareBackends?(k: KubeClients, route: TrafficSpec, s: Sides): Promise<void>;
  /** Whether the data plane reports the object as read applied (its status; pure). editRoute waits for it. */
  applied?(obj: Json): Applied;
  /**
   * Other objects that must follow every edit of this one (Traefik: the IngressRoute's header route, to
   * green or to maintenance); after the edit, before the write (weights and maintenance); idempotent.
   */
  followEdit?(k: KubeClients, route: TrafficSpec, s: Sides, edited: Json, header?: HeaderSide): Promise<void>;
}

/** The side the canary-header users get. */
export type HeaderSide = 'green' | 'blue';
export const HEADER_SIDES: readonly HeaderSide[] = ['green', 'blue'];

/**
 * Where the header users go unless the caller says: green only while the route sends it users. At 0%
 * green may not exist yet or is about to be deleted, and a rule naming a Service without a ready
 * endpoint answers 5xx (Traefik: 500 for a missing Service, 503 for an empty one).
 */
export const headerSideFor = (greenWeight: number): HeaderSide => (greenWeight > 0 ? 'green' : 'blue');

/** The Service (destination and namespace) the header rule names for `side`. */
export const headerDestination = (s: Sides, side: HeaderSide): { destination: string; namespace: string } =>
  side === 'green'
    ? { destination: s.green, namespace: s.greenNamespace }
    : { destination: s.blue, namespace: s.blueNamespace };

/** Percent of the total for each weight; an absent weight counts as `absent` (the API's default). */
export function percents(weights: (number | undefined)[], absent: number): number[] {
  const w = weights.map((x) => (typeof x === 'number' ? x : absent));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => (total > 0 ? Math.round((x / total) * 1000) / 10 : 0));
}

/** The routing rules as they were before maintenance mode, so turning it off restores them exactly. */
export const PRE_MAINTENANCE_ANNOTATION = 'release.hwayo.io/pre-maintenance-rules';

export const inMaintenance = (obj: Json): boolean =>
  obj?.metadata?.annotations?.[PRE_MAINTENANCE_ANNOTATION] !== undefined;

export const invalid = (msg: string) => nonRetryable('InvalidInput', msg);
