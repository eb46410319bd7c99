// The traffic routers, one folder each, found by the plan's `traffic.provider`: the kind `<kind>` is the
// folder ./<kind>/, whose index exports `router` (a `Router`, ./router.ts). ROUTER_KINDS (src/plan/types.ts)
// is the one list of kinds: the plan schema refuses any other, and this module loads every listed folder
// when it is first imported, so a kind without its folder stops the worker at start, naming the folder.
// Kinds are listed in src/plan rather than here because the plan schema runs in the workflow sandbox,
// which must not load a router (Kubernetes client). A new router is a folder and one ROUTER_KINDS entry.
import { ROUTER_KINDS, type RouterKind, type TrafficSpec } from '../../../plan/types';
import type { Router } from './router';

/** The router of a kind, from its folder (exported for the registry test). */
export function loadRouter(kind: string): Router {
  let loaded: { router?: Router };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the folder convention above
    loaded = require(`./${kind}`) as typeof loaded;
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && String(err).includes(`./${kind}`))
      throw new Error(`traffic router "${kind}" has no folder: src/activities/traffic/routers/${kind}/ is missing`);
    throw err;
  }
  if (typeof loaded.router?.setWeights !== 'function')
    throw new Error(`traffic router "${kind}": src/activities/traffic/routers/${kind}/index.ts exports no \`router\``);
  return loaded.router;
}

export const routers = Object.fromEntries(ROUTER_KINDS.map((kind) => [kind, loadRouter(kind)])) as Record<
  RouterKind,
  Router
>;

export const routerOf = (route: Pick<TrafficSpec, 'provider'>): Router => routers[route.provider];

export {
  HEADER_SIDES,
  headerSideFor,
  inMaintenance,
  PRE_MAINTENANCE_ANNOTATION,
  sidesOf,
  type HeaderSide,
  type Router,
  type Sides,
} from './router';
