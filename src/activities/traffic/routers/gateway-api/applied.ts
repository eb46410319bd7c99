// Has the gateway applied the route as written? A Gateway API controller reports, per parent (Gateway),
// conditions stamped with the route generation it has loaded. Writing the route is not enough: a gateway
// whose watch lags the apiserver (after an apiserver outage client-go backs off up to a minute) keeps
// routing by the old weights, and deleting the old side then answers its users 5xx. So a traffic move
// returns only once every parent reports the written generation.
import { heartbeat } from '@temporalio/activity';
import type { TrafficSpec } from '../../../../plan/types';
import { retryable } from '../../../errors';
import type { Json } from '../router';

export type Applied =
  | { state: 'applied' }
  /** No controller has ever reported on this route (no status.parents): nothing to wait for. */
  | { state: 'unobserved' }
  | { state: 'pending' | 'refused'; detail: string };

/** What the route's status says about its current generation (pure). */
export function routeApplied(obj: Json): Applied {
  const generation = Number(obj?.metadata?.generation ?? 0);
  // Only the Gateways the route names now: an entry a former parent's controller left behind is not waited for.
  const named = (obj?.spec?.parentRefs ?? []).map((r: Json) => `${r.namespace ?? obj?.metadata?.namespace}/${r.name}`);
  const parents: Json[] = (obj?.status?.parents ?? []).filter((p: Json) =>
    named.includes(`${p.parentRef?.namespace ?? obj?.metadata?.namespace}/${p.parentRef?.name}`),
  );
  if (parents.length === 0) return { state: 'unobserved' };
  for (const p of parents) {
    const who = `${p.controllerName ?? 'a controller'} (parent ${p.parentRef?.namespace ?? ''}/${p.parentRef?.name ?? '?'})`;
    const conditions: Json[] = p.conditions ?? [];
    const seen = Math.min(...conditions.map((c) => Number(c.observedGeneration ?? 0)), Infinity);
    if (conditions.length === 0 || seen < generation)
      return {
        state: 'pending',
        detail: `${who} reports generation ${conditions.length ? seen : 'none'} of ${generation}`,
      };
    const accepted = conditions.find((c) => c.type === 'Accepted');
    if (accepted?.status === 'False')
      return {
        state: 'refused',
        detail:
          `${who} did not accept generation ${generation}: ${accepted.reason ?? ''} ${accepted.message ?? ''}`.trim(),
      };
  }
  return { state: 'applied' };
}

export const APPLY_WAIT_MS = 15_000;
const POLL_MS = 200;

/**
 * Waits until the gateway reports `written`'s generation (or has never reported on the route). Within
 * the traffic activity's 20 s start-to-close: a gateway later than APPLY_WAIT_MS fails this attempt
 * (retryable), and the retry, which finds the route already written, waits again.
 */
export async function awaitGatewayApplied(
  route: Pick<TrafficSpec, 'name' | 'namespace'>,
  written: Json,
  read: () => Promise<Json>,
  waitMs = APPLY_WAIT_MS,
): Promise<void> {
  const where = `httproutes ${route.namespace}/${route.name}`;
  const deadline = Date.now() + waitMs;
  let obj = written;
  for (;;) {
    const a = routeApplied(obj);
    if (a.state === 'applied' || a.state === 'unobserved') return;
    if (Date.now() >= deadline)
      throw retryable('Unavailable', `the gateway has not applied ${where} within ${waitMs / 1000} s: ${a.detail}`, {
        route: where,
        ...a,
      });
    try {
      heartbeat({ waitingFor: 'gateway', route: where, detail: a.detail });
    } catch {
      // Outside an activity (a direct call): nothing to heartbeat to.
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    obj = await read();
  }
}
