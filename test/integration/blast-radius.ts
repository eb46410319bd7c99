// The bound on users' failed requests while a sick canary is exposed (dataplane.test.ts, e2e): green's
// share of the users for the exposure, times the image's own failure rate (app.ts behaviourOf), plus
// three standard deviations of that binomial count (each request fails on its own, at random).
import { behaviourOf } from '../fixtures/dataplane/app';

/** The formula, for test names. */
export const BLAST_RADIUS_FORMULA = 'rate x weight x RPS x exposure + 3 sd';

/** ceil(p·n + 3·sqrt(n·p·(1-p))) with n = weight% of rps over exposureS and p the failure rate of image tag `tag`. */
export function blastRadiusBound(o: { tag: string; weight: number; rps: number; exposureS: number }): number {
  const p = behaviourOf(`app:${o.tag}`).errorRate;
  // A tag that fails nothing would make the bound 0: a mistake in the test, not a measurement.
  if (p <= 0) throw new Error(`image tag ${o.tag} has no failure rate (-sick-<percent>): no blast radius to bound`);
  const n = (o.weight / 100) * o.rps * o.exposureS;
  return Math.ceil(p * n + 3 * Math.sqrt(n * p * (1 - p)));
}
