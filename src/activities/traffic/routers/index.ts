// The traffic routers, one folder each, keyed by the plan's `traffic.provider`: the folder ./<kind>/ exports
// `router` (a `Router`, ./router.ts), registered below under its kind. ROUTER_KINDS (src/plan/types.ts) is the
// one list of kinds: the plan schema refuses any other, and the registry's type makes a kind without its router
// fail to typecheck. Kinds are listed in src/plan rather than here because the plan schema runs in the workflow
// sandbox, which must not load a router (Kubernetes client). A new router is a folder, one ROUTER_KINDS entry
// and one line below.
import type { RouterKind, TrafficSpec } from '../../../plan/types';
import { router as gatewayApi } from './gateway-api';
import { router as istio } from './istio';
import type { Router } from './router';
import { router as traefik } from './traefik';

/** The router of each kind the plan may name, and of no other. */
export type RouterRegistry = { readonly [K in RouterKind]: Router };

export const routers: RouterRegistry = { istio, 'gateway-api': gatewayApi, traefik };

export const routerOf = (route: Pick<TrafficSpec, 'provider'>): Router => routers[route.provider];

export {
  HEADER_SIDES,
  headerSideFor,
  inMaintenance,
  PRE_MAINTENANCE_ANNOTATION,
  sidesOf,
  type Applied,
  type HeaderSide,
  type Json,
  type Router,
  type Sides,
} from './router';
