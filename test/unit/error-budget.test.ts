// The error-budget check's arithmetic (SEED 11: 99.9% a month is 43.8 min), its availability query, and the plan
// rules of its fields.
import { availabilityQuery, budgetOf, DEFAULT_WINDOW_MS } from '../../src/plan/error-budget';
import { defaultPlan, PlanError, validatePlan } from '../../src/plan/load';

const HOUR = 3_600_000;

test('99.9% over the default window (an average month, 730 h) allows the seed’s 43.8 min', () => {
  expect(DEFAULT_WINDOW_MS).toBe(730 * HOUR);
  expect(budgetOf(1, 99.9, DEFAULT_WINDOW_MS)).toEqual({
    availabilityPercent: 100,
    allowedMinutes: 43.8,
    usedMinutes: 0,
    spent: false,
  });
  // 30 days: 43.2 min.
  expect(budgetOf(1, 99.9, 720 * HOUR).allowedMinutes).toBe(43.2);
});

test('the failed fraction of the window is what was used; at or past the allowance the budget is spent', () => {
  const half = budgetOf(0.9995, 99.9, DEFAULT_WINDOW_MS);
  expect(half).toMatchObject({ usedMinutes: 21.9, allowedMinutes: 43.8, spent: false });
  // Exactly the target: every minute used (1 - 0.999 is not 0.001 in floating point).
  expect(budgetOf(0.999, 99.9, DEFAULT_WINDOW_MS)).toMatchObject({ usedMinutes: 43.8, spent: true });
  expect(budgetOf(0.99, 99.9, DEFAULT_WINDOW_MS)).toMatchObject({ usedMinutes: 438, spent: true });
  // A tighter target on the same reading: 99.99% allows 4.38 min, which 0.9995 has spent.
  expect(budgetOf(0.9995, 99.99, DEFAULT_WINDOW_MS)).toMatchObject({ allowedMinutes: 4.38, spent: true });
  // Two minutes at 1% errors: 1.2 s used of 0.12 s allowed.
  expect(budgetOf(0.99, 99.9, 2 * 60_000)).toMatchObject({ usedMinutes: 0.02, allowedMinutes: 0.002, spent: true });
});

test('the availability query: failed over all requests of production, the errors matcher inside the selector', () => {
  const vars = { namespace: 'hwayo-production' };
  expect(availabilityQuery({}, vars)).toBe(
    '1 - ((sum(increase(http_requests_total{namespace="hwayo-production",status=~"5.."}[2628000s])) or vector(0))' +
      ' / sum(increase(http_requests_total{namespace="hwayo-production"}[2628000s])))',
  );
  expect(
    availabilityQuery(
      {
        requests: 'traefik_service_requests_total{service=~"{{namespace}}-api-.*"}',
        errors: 'code=~"5.."',
        window: 90_000,
      },
      { namespace: 'a"b' },
    ),
  ).toBe(
    '1 - ((sum(increase(traefik_service_requests_total{service=~"a\\"b-api-.*",code=~"5.."}[90s])) or vector(0))' +
      ' / sum(increase(traefik_service_requests_total{service=~"a\\"b-api-.*"}[90s])))',
  );
  expect(availabilityQuery({ requests: 'requests_total{}' }, vars)).toContain('requests_total{status=~"5.."}[');
});

const withCheck = (check: Record<string, unknown>) => {
  const plan = defaultPlan();
  return {
    approval: { allowUnsigned: true },
    preflight: {
      checks: [
        ...plan.preflight.checks.filter((c) => c.kind !== 'error-budget'),
        { name: 'eb', group: 'monitoring', kind: 'error-budget', ...check },
      ],
    },
  };
};
const problems = (check: Record<string, unknown>) => {
  try {
    validatePlan(withCheck(check));
    return [];
  } catch (e) {
    if (e instanceof PlanError) return e.problems;
    throw e;
  }
};

test('the default plan checks 99.9% over 730 h; a plan may write its own target, window and series', () => {
  expect(defaultPlan().preflight.checks.find((c) => c.kind === 'error-budget')).toEqual({
    name: 'error-budget',
    group: 'monitoring',
    kind: 'error-budget',
    target: 99.9,
    window: 730 * HOUR,
  });
  expect(
    problems({ target: 99.99, window: '90d', requests: 'x_total{job="{{namespace}}"}', errors: 'code!~"2.."' }),
  ).toEqual([]);
});

test.each([
  [{ target: 100 }, /target must be below 100/],
  [{ target: 0 }, /target/],
  [{ window: '30s' }, /window must be at least 60s/],
  [{ window: '500d' }, /window must be at most 400d/],
  [{ requests: 'sum(x_total)' }, /requests must be a counter selector/],
  [{ requests: 'x_total{namespace={{namespace}}}' }, /requests must be a counter selector/],
  [{ errors: 'code=~5..' }, /errors must be one label matcher/],
  [{ errors: 'code="500"}) or vector(1' }, /errors must be one label matcher/],
])('%j is refused, naming the field', (check, message) => {
  expect(problems(check).join('\n')).toMatch(message);
});
