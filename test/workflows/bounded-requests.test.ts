// Requests out of bounds (request-limits.ts) at the workflow's boundary: refused, audited short,
// never stored whole; updates turned away by their validator; people's words reach Slack inert.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  abortSignal,
  abortUpdate,
  approveSignal,
  auditQuery,
  rollbackSignal,
  statusQuery,
} from '../../src/workflows/definitions';
import { useWorkflowEnv } from './env';
import { withRelease } from './harness';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

const MB = 'x'.repeat(1024 * 1024);
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as Error).message : `unexpected: ${String(e)}`),
  );

test('a 1 MB comment or reason by signal is refused, and what is kept of it is short', async () => {
  await withRelease(t.env, t.bundle, { approve: false }, async ({ handle, waitFor }) => {
    await waitFor((s) => s.stage === 'awaiting-approval');
    await handle.signal(approveSignal, { approverId: 'qa-lead', role: 'qa-lead', decision: 'approve', comment: MB });
    await handle.signal(abortSignal, { by: 'oncall', reason: MB });
    const s = await waitFor((x) => x.approvals.length === 1);
    expect(s.stage).toBe('awaiting-approval'); // the abort was refused
    expect(s.missingRoles).toContain('qa-lead');
    const clipped = `"${'x'.repeat(80)}"... (1048576 chars)`;
    expect(s.approvals[0]).toMatchObject({ accepted: false, via: 'signal', comment: clipped });
    expect(s.approvals[0].refusal).toBe(`comment ${clipped} is longer than 1000 characters`);
    const audit = await handle.query(auditQuery);
    expect(audit.map((e) => [e.action, e.accepted, e.detail])).toEqual([
      ['approve', false, `comment ${clipped} is longer than 1000 characters`],
      ['abort', false, `reason ${clipped} is longer than 1000 characters`],
    ]);
    expect(JSON.stringify(audit).length).toBeLessThan(1_000);
  });
});

test('a 1 MB update is turned away by its validator: an error for the caller, nothing recorded', async () => {
  await withRelease(t.env, t.bundle, { approve: false }, async ({ handle, waitFor }) => {
    await waitFor((s) => s.stage === 'awaiting-approval');
    expect(await refusal(handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: MB }] }))).toBe(
      `reason "${'x'.repeat(80)}"... (1048576 chars) is longer than 1000 characters`,
    );
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');
    expect(await handle.query(auditQuery)).toEqual([]);
  });
});

test('near-names are refused: "tech-lead " and "Alice" where the plan lists alice', async () => {
  const plan = {
    plan: (p: { approval: { approvers: { id: string }[] } }) => void (p.approval.approvers[0].id = 'alice'),
  };
  await withRelease(t.env, t.bundle, { approve: false, ...plan }, async ({ handle, waitFor }) => {
    await waitFor((s) => s.stage === 'awaiting-approval');
    await handle.signal(approveSignal, { approverId: 'Alice', role: 'tech-lead', decision: 'approve' });
    await handle.signal(approveSignal, { approverId: 'alice', role: 'tech-lead ', decision: 'approve' });
    // Risk-lowering controls are open to anyone, but not under a listed person's name in another spelling.
    await handle.signal(abortSignal, { by: 'Alice', reason: 'looks like alice' });
    await handle.signal(abortSignal, { by: 'tech-lead ', reason: 'looks like the tech lead' });
    expect(await refusal(handle.executeUpdate(abortUpdate, { args: [{ by: 'Alice' }] }))).toBe(
      'by "Alice" is not "alice": names are matched exactly',
    );
    const s = await waitFor((x) => x.approvals.length === 2);
    expect(s.stage).toBe('awaiting-approval');
    expect(s.approvals.map((a) => [a.accepted, a.refusal])).toEqual([
      [false, 'approverId "Alice" is not "alice": names are matched exactly'],
      [false, 'role "tech-lead " must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit'],
    ]);
    const audit = await handle.query(auditQuery);
    expect(audit.filter((e) => e.action === 'abort').map((e) => [e.by, e.accepted])).toEqual([
      ['"Alice"', false],
      ['"tech-lead "', false],
    ]);
  });
});

test('a <!here> in a rollback reason reaches Slack escaped, so it pings nobody', async () => {
  await withRelease(t.env, t.bundle, {}, async ({ world, handle, waitFor }) => {
    await waitFor((s) => s.greenWeight === 5);
    await handle.signal(rollbackSignal, {
      by: 'oncall',
      reason: 'other: <!here> <!channel> <@U123> see <https://evil|docs>',
    });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');
    const critical = world.delivered.filter((d) => d.sink === 'slack' && d.to === '#hwayo-critical');
    expect(critical.length).toBeGreaterThan(0);
    const texts = world.delivered.filter((d) => d.sink === 'slack').map((d) => d.text);
    expect(
      texts.some((x) => x.includes('&lt;!here&gt; &lt;!channel&gt; &lt;@U123&gt; see &lt;https://evil|docs&gt;')),
    ).toBe(true);
    expect(texts.filter((x) => /<[!@#h]/.test(x))).toEqual([]);
  });
});
