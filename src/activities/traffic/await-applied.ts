// A route write is done when the data plane has taken it, not when the apiserver stored it: a gateway whose watch
// lags (client-go backs off up to a minute after an apiserver outage) keeps routing by the old weights, and
// retiring the old side then answers its users 5xx. Routers whose objects report it (Gateway API: status.parents)
// say how to read that (Router.applied); editRoute waits here after every write, or after finding it written.
import { heartbeat } from '@temporalio/activity';
import { retryable } from '../errors';
import type { Applied, Json } from './routers';

/** Within the traffic activities' 20 s start-to-close: a later data plane fails this attempt, retryably. */
export const APPLY_WAIT_MS = 15_000;
const POLL_MS = 200;

/**
 * Until `applied` says the object (`written`, then each `read`) is applied or will never be reported on; after
 * `waitMs` a retryable failure naming `where`. A retry finds the route already written and waits again.
 */
export async function awaitApplied(
  where: string,
  written: Json,
  applied: (obj: Json) => Applied,
  read: () => Promise<Json>,
  waitMs = APPLY_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  let obj = written;
  for (;;) {
    const a = applied(obj);
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
