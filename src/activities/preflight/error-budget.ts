// SEED 7 and 11: the month's availability against the SLA target; a release is refused while the error budget is
// spent. The figures and the query are ../../plan/error-budget.ts; this reads the worker's Prometheus.
import { measure } from '../../metrics/prometheus/measure';
import { formatDuration } from '../../plan/duration';
import { availabilityQuery, budgetOf, DEFAULT_TARGET_PERCENT, DEFAULT_WINDOW_MS } from '../../plan/error-budget';
import { measureContext } from '../metrics';
import type { CheckRunner } from './check';

// Three significant digits below 10 min: a short window's budget is a fraction of a minute (0.002 min for 2 m).
const minutes = (m: number) => `${m >= 10 ? +m.toFixed(1) : +m.toPrecision(3)} min`;

export const errorBudget: CheckRunner<'error-budget'> = async (check, { config, input }) => {
  const { blueNamespace, greenNamespace } = input.context;
  const target = check.target ?? DEFAULT_TARGET_PERCENT;
  const windowMs = check.window ?? DEFAULT_WINDOW_MS;
  // {{namespace}} is production: blue at preflight.
  const vars = {
    namespace: blueNamespace,
    blue_namespace: blueNamespace,
    green_namespace: greenNamespace,
    app: input.context.app ?? '',
    version: input.context.version ?? '',
  };
  const promql = availabilityQuery(check, vars);
  const over = `over the last ${formatDuration(windowMs)}`;
  const reading = await measure(measureContext(config)).measure({ name: check.name, promql });
  if (!('value' in reading))
    // The plan's policy: a budget nobody can read is not shown to be left, so the release waits for a reading.
    return {
      name: check.name,
      ok: false,
      detail: `error budget inconclusive (${reading.inconclusive}): ${reading.detail}; a release needs a reading ${over} (query: ${promql})`,
      data: { inconclusive: reading.inconclusive, target, windowMs },
    };
  const b = budgetOf(reading.value, target, windowMs);
  const figures = `availability ${+b.availabilityPercent.toFixed(4)}% ${over} (target ${target}%): ${minutes(b.usedMinutes)} of the ${minutes(b.allowedMinutes)} error budget used`;
  const data = { ...b, target, windowMs, query: promql };
  return b.spent
    ? { name: check.name, ok: false, detail: `error budget spent: ${figures} (query: ${promql})`, data }
    : { name: check.name, ok: true, detail: figures, data };
};
