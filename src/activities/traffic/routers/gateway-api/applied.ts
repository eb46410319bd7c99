// Has the gateway taken the route as written? A Gateway API controller reports, per parent (Gateway), conditions
// stamped with the route generation it has loaded (editRoute waits for it: ../../await-applied.ts).
import type { Applied, Json } from '../router';

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
