// The rollback measurement both gateway routers share (dataplane.test.ts, traefik-router.test.ts):
// users keep going well past the seed's 30 s after the shift to 0%, and the last answer from green must
// come within 2 s of the moment the gateway (its own API, polled every 50 ms) applied 0%.
import { runLoad, sampleLine, type LoadOptions } from '../fixtures/dataplane/loadgen';
import { sentAt } from './gateway';

/** How long after the gateway applies 0% green may still answer (requests already in flight). */
export const IN_FLIGHT_MS = 2000;
/** Users keep going this long after the shift began: past the seed's 30 s, so a late green answer shows. */
const LOAD_AFTER_SHIFT_MS = 35_000;

export interface RollbackRun {
  /** Users' options (url, host, rps); the run stops LOAD_AFTER_SHIFT_MS after the shift. */
  load: Pick<LoadOptions, 'url' | 'host' | 'rps'>;
  shift: () => Promise<unknown>;
  /** Green's weight as the gateway applies it. */
  gatewayGreenWeight: () => Promise<number | undefined>;
  blue: string;
  green: string;
  label: string;
}

/**
 * Shifts to 0% under load and returns what broke the claim (empty: held), each line naming the
 * offending samples; the load must have reached green before and run past 30 s after, or it fails.
 */
export async function measureRollback(o: RollbackRun): Promise<string[]> {
  const stop = { stopped: false };
  const running = runLoad({ ...o.load, count: o.load.rps * 60, maxSeconds: 60, stop });
  await new Promise((r) => setTimeout(r, 3000));
  const t0 = Date.now();
  await o.shift();
  const written = Date.now();
  let atZero = 0;
  while (!atZero && Date.now() < t0 + 30_000) {
    if ((await o.gatewayGreenWeight()) === 0) atZero = Date.now();
    else await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + LOAD_AFTER_SHIFT_MS - Date.now())));
  stop.stopped = true;
  const s = await running;
  const fromGreen = s.filter((x) => x.namespace === o.green);
  const lastGreen = Math.max(0, ...fromGreen.map((x) => x.at));
  console.log(
    `[measure] ${o.label} rollback: route written in ${written - t0} ms; gateway at 0% ${atZero - t0} ms after the shift began; last answer from green ${lastGreen - t0} ms after it; ${s.filter((x) => x.at >= t0 + 30_000).length} answers after 30 s`,
  );
  const broken: string[] = [];
  if (!atZero) broken.push('the gateway did not apply 0% within 30 s');
  if (!fromGreen.some((x) => x.at < t0)) broken.push('no user reached green before the shift');
  if (s.filter((x) => x.at >= t0 + 30_000).length < o.load.rps * 3)
    broken.push('the load did not run past 30 s after the shift');
  const late = fromGreen.filter((x) => x.at > atZero + IN_FLIGHT_MS);
  if (late.length) broken.push(`green answered > ${IN_FLIGHT_MS} ms after 0%: ${late.map(sampleLine).join('; ')}`);
  const after = s.filter((x) => sentAt(x) > atZero + IN_FLIGHT_MS && !(x.status === 200 && x.namespace === o.blue));
  if (after.length) broken.push(`sent after 0% and not answered 200 by blue: ${after.map(sampleLine).join('; ')}`);
  return broken;
}
