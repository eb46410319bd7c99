// The error-budget check's arithmetic and query (SEED 7 and 11: 99.9% a month, 43.8 min of downtime). Pure: the
// plan's schema validates with it and the worker's check (src/activities/preflight/error-budget.ts) measures with it.
import { promqlStringContents } from '../metrics/prometheus/spec';
import { renderTemplate } from '../metrics/template';

/** SEED 11: availability 99.9% monthly. */
export const DEFAULT_TARGET_PERCENT = 99.9;
/** An average month (365 d / 12): 0.1% of it is the seed's 43.8 min. */
export const DEFAULT_WINDOW_MS = 730 * 3_600_000;
/** The request counter of the service carrying production, by status (the stand-ins' and the default metrics'). */
export const DEFAULT_REQUESTS = 'http_requests_total{namespace="{{namespace}}"}';
/** What marks a request the service failed: a server error. */
export const DEFAULT_ERRORS = 'status=~"5.."';

/** A counter selector with a label matcher list: `metric{...}` (the errors matcher is added inside the braces). */
export const SELECTOR = /^[a-zA-Z_:][a-zA-Z0-9_:]*\{[^{}]*\}$/;
/** One PromQL label matcher: label, operator, double-quoted value. */
export const MATCHER = /^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"$/;

export interface BudgetSpec {
  target?: number;
  window?: number;
  requests?: string;
  errors?: string;
}

export interface Budget {
  /** Percent of requests answered without a server error over the window. */
  availabilityPercent: number;
  allowedMinutes: number;
  usedMinutes: number;
  /** Used at least all of what the target allows. */
  spent: boolean;
}

/**
 * Request-based budget: the target allows (1 - target) of the window's requests to fail, i.e. (1 - target) x window
 * in minutes (99.9% of 730 h: 43.8 min); the failed fraction x window is what was used.
 */
export function budgetOf(availability: number, targetPercent: number, windowMs: number): Budget {
  const windowMinutes = windowMs / 60_000;
  const allowedMinutes = (1 - targetPercent / 100) * windowMinutes;
  const usedMinutes = Math.max(0, 1 - availability) * windowMinutes;
  // Rounded to a microsecond's worth: 1 - 0.999 is not exactly 0.001 in floating point.
  const round = (m: number) => Math.round(m * 6e7) / 6e7;
  return {
    availabilityPercent: availability * 100,
    allowedMinutes: round(allowedMinutes),
    usedMinutes: round(usedMinutes),
    spent: round(usedMinutes) >= round(allowedMinutes),
  };
}

/** The PromQL range of a window: whole seconds, which every Prometheus reads. */
export const promRange = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;

/**
 * The availability (0..1) over the window: 1 - failed / all requests. A service that never failed has no error
 * increase (0, not missing data); no requests at all is 0/0 (NaN), an inconclusive reading.
 */
export function availabilityQuery(spec: BudgetSpec, vars: Record<string, string>): string {
  const escaped = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, promqlStringContents(v)]));
  const requests = renderTemplate(spec.requests ?? DEFAULT_REQUESTS, escaped);
  const inside = requests.slice(requests.indexOf('{') + 1, -1).trim();
  const errorsMatcher = spec.errors ?? DEFAULT_ERRORS;
  const failed = `${requests.slice(0, requests.indexOf('{'))}{${inside ? `${inside},` : ''}${errorsMatcher}}`;
  const range = promRange(spec.window ?? DEFAULT_WINDOW_MS);
  return `1 - ((sum(increase(${failed}[${range}])) or vector(0)) / sum(increase(${requests}[${range}])))`;
}
