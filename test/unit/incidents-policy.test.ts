// Whether a release opens incidents is the platform's call: the input may only turn them on.
import { incidentsDecision } from '../../src/policy/incidents';
import { parsePolicy } from '../../src/policy/schema';
import { platformPeople, seedPolicy } from './policy-fixture';

const required = { name: 'production' };
const off = { name: 'staging', incidents: false };

test.each([
  // environment, input, opens, refused, differs from the input alone deciding
  [undefined, undefined, true, false, false],
  [undefined, false, false, false, false],
  [required, undefined, true, false, false],
  [required, true, true, false, false],
  [required, false, true, true, true],
  [off, undefined, false, false, true],
  [off, false, false, false, false],
  [off, true, true, false, false],
] as const)(
  'policy %j, input incidents %s: opens %s, refused %s, changed %s',
  (env, asked, opens, refused, changed) => {
    const d = incidentsDecision(env, asked);
    expect({ opens: d.opens, refused: d.problem !== undefined, changed: d.changed }).toEqual({
      opens,
      refused,
      changed,
    });
  },
);

test('the refusal names the rule and the environment', () => {
  expect(incidentsDecision(required, false).problem).toBe(
    'policy rule incidents: the platform opens incidents for releases into production; the input may not turn them off (incidents: false)',
  );
});

test('a policy without the key parses without it (its digest, which statements bind, is unchanged); a non-boolean is refused', () => {
  const { keys } = platformPeople();
  const doc = seedPolicy(keys);
  const { policy } = parsePolicy(doc);
  expect(policy?.environments[0]).not.toHaveProperty('incidents');
  Object.assign(doc.environments[0], { incidents: 'no' });
  expect(parsePolicy(doc).problems.join('\n')).toContain('environments.0.incidents');
});
