// What a signal or an update may carry (request-limits.ts): names matched exactly, one-line bounded
// text, well-formed signatures, and refusals that keep only a clipped, escaped copy.
import { defaultPlan } from '../../src/plan/load';
import {
  approvalLimitProblem,
  boundedApproval,
  clip,
  controlLimitProblem,
  TEXT_MAX,
} from '../../src/workflows/request-limits';

const plan = defaultPlan();
plan.approval.operators = [{ id: 'alice', publicKey: 'A'.repeat(43) + '=' }];
const approval = { approverId: 'tech-lead', role: 'tech-lead', decision: 'approve' };
const SIG = 'A'.repeat(86) + '==';

test('clip keeps 80 characters, escapes control characters and quotes, and says how long the value was', () => {
  expect(clip('ok')).toBe('"ok"');
  expect(clip('a\nb"\u202e\\')).toBe('"a\\u000ab\\"\\u202e\\\\"');
  expect(clip('x'.repeat(1_000_000))).toBe(`"${'x'.repeat(80)}"... (1000000 chars)`);
  expect(clip(undefined)).toBe('(undefined)');
  expect(clip(null)).toBe('(null)');
  expect(clip({ a: 1 })).toBe('(object)');
});

test('an approval within bounds goes on to the gate rules (an unknown name is theirs to refuse)', () => {
  expect(approvalLimitProblem(approval, plan)).toBeUndefined();
  expect(approvalLimitProblem({ ...approval, approverId: 'mallory' }, plan)).toBeUndefined();
  expect(
    approvalLimitProblem(
      { ...approval, comment: 'c'.repeat(TEXT_MAX), signature: SIG, signedAt: '2026-12-06T01:02:03.456Z' },
      plan,
    ),
  ).toBeUndefined();
  expect(approvalLimitProblem({ ...approval, signedAt: '2026-12-06T01:02:03+09:00' }, plan)).toBeUndefined();
});

test('near-names, unknown roles and non-text values are refused', () => {
  expect(approvalLimitProblem({ ...approval, approverId: 'tech-lead ' }, plan)).toBe(
    'approverId "tech-lead " must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );
  expect(approvalLimitProblem({ ...approval, approverId: 'Tech-Lead' }, plan)).toBe(
    'approverId "Tech-Lead" is not "tech-lead": names are matched exactly',
  );
  expect(approvalLimitProblem({ ...approval, role: 'tech-lead ' }, plan)).toMatch(/^role "tech-lead " must be/);
  expect(approvalLimitProblem({ ...approval, role: 'Tech-lead' }, plan)).toBe(
    `role "Tech-lead" is not one of the plan's roles (tech-lead, product-manager, qa-lead)`,
  );
  expect(approvalLimitProblem({ ...approval, approverId: 42 }, plan)).toMatch(/^approverId \(number\) must be/);
  expect(approvalLimitProblem(undefined, plan)).toBe('the request must be an object');
  expect(approvalLimitProblem({ ...approval, approverId: 'x'.repeat(64) }, plan)).toMatch(/must be 1-63/);
});

test('a comment or reason over 1,000 characters, or with a newline or a control character, is refused briefly', () => {
  const big = approvalLimitProblem({ ...approval, comment: 'x'.repeat(1024 * 1024) }, plan)!;
  expect(big).toBe(`comment "${'x'.repeat(80)}"... (1048576 chars) is longer than 1000 characters`);
  expect(approvalLimitProblem({ ...approval, comment: 'ok\nFAKE: approved' }, plan)).toBe(
    'comment "ok\\u000aFAKE: approved" must be one line without control characters',
  );
  expect(controlLimitProblem({ by: 'oncall', reason: 'r'.repeat(TEXT_MAX + 1) }, plan)).toMatch(/longer than 1000/);
  expect(controlLimitProblem({ by: 'oncall', reason: 'a\u0007b' }, plan)).toMatch(/one line without control/);
  expect(controlLimitProblem({ by: 'oncall', reason: 'a\u202eb' }, plan)).toMatch(/one line without control/);
  expect(controlLimitProblem({ by: 'oncall', reason: 7 }, plan)).toBe('reason (number) must be text');
});

test('a control: `by` is a name; one that differs from a listed person only in case is refused', () => {
  expect(controlLimitProblem({ by: 'oncall', reason: 'error spike' }, plan)).toBeUndefined();
  expect(controlLimitProblem({ by: 'alice' }, plan)).toBeUndefined();
  expect(controlLimitProblem({ by: 'Alice' }, plan)).toBe('by "Alice" is not "alice": names are matched exactly');
  expect(controlLimitProblem({ by: 'QA-LEAD' }, plan)).toBe('by "QA-LEAD" is not "qa-lead": names are matched exactly');
  expect(controlLimitProblem({ by: 'tech-lead ' }, plan)).toMatch(/^by "tech-lead " must be/);
  expect(controlLimitProblem({ by: '' }, plan)).toMatch(/^by "" must be/);
  expect(controlLimitProblem(null, plan)).toBe('the request must be an object');
});

test('signatures are the base64 of 64 bytes; signedAt an ISO time of at most 40 characters', () => {
  expect(controlLimitProblem({ by: 'alice', signature: SIG.slice(1) }, plan)).toMatch(
    /^signature "A+"\.\.\. \(87 chars\) must be the base64/,
  );
  expect(controlLimitProblem({ by: 'alice', signature: 'x'.repeat(5000) }, plan)).toMatch(/\(5000 chars\) must be/);
  expect(controlLimitProblem({ by: 'alice', signedAt: 'yesterday' }, plan)).toBe(
    'signedAt "yesterday" must be an ISO time of at most 40 characters',
  );
  expect(
    controlLimitProblem({ by: 'alice', signedAt: '2026-12-06T01:02:03.123456789+09:00' + '0'.repeat(10) }, plan),
  ).toMatch(/must be an ISO time/);
});

test('a refused approval is kept with every field clipped and no signature', () => {
  const kept = boundedApproval({ ...approval, comment: 'y'.repeat(5000), signature: 'z'.repeat(5000) }, 'approve');
  expect(kept).toEqual({
    approverId: '"tech-lead"',
    role: '"tech-lead"',
    decision: 'approve',
    comment: `"${'y'.repeat(80)}"... (5000 chars)`,
  });
  expect(JSON.stringify(boundedApproval(undefined, 'reject'))).toBe(
    '{"approverId":"(undefined)","role":"(undefined)","decision":"reject"}',
  );
});
