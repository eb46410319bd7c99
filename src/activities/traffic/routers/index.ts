// The traffic routers, one folder each. `RouterKind` is the plan's `traffic.provider` (src/plan/types.ts
// ROUTER_KINDS): the compiler refuses a kind without its router here, and the plan schema refuses a
// kind that is not in the list. A new router is a folder next to istio/ implementing `Router`
// (./router.ts), its kind in ROUTER_KINDS, and one line below.
import type { RouterKind, TrafficSpec } from '../../../plan/types';
import { gatewayApi } from './gateway-api';
import { istio } from './istio';
import type { Router } from './router';
import { traefik } from './traefik';

export const routers: Record<RouterKind, Router> = {
  istio,
  'gateway-api': gatewayApi,
  traefik,
};

export const routerOf = (route: Pick<TrafficSpec, 'provider'>): Router => routers[route.provider];

export { inMaintenance, PRE_MAINTENANCE_ANNOTATION, sidesOf, type Router, type Sides } from './router';
