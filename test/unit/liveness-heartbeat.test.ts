// The worker heartbeats every running attempt that has a heartbeat timeout (releases give every
// activity 10 s, patch `fast-recovery`), so a SIGKILLed worker's attempts are retried within seconds;
// between the activity's own heartbeats it repeats the last details, so a long wait's progress survives.
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, Next, ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { livenessEveryMs, livenessHeartbeatInterceptor } from '../../src/worker/activity-interceptors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeContext(heartbeatTimeoutMs: number | undefined, previous?: unknown) {
  const sent: unknown[] = [];
  const ctx = {
    info: { heartbeatTimeoutMs, heartbeatDetails: previous, isLocal: false },
    heartbeat: (d?: unknown) => void sent.push(d),
  } as unknown as Context;
  return { ctx, sent };
}

function run(ctx: Context, body: () => Promise<unknown>) {
  const inbound = livenessHeartbeatInterceptor(ctx).inbound as ActivityInboundCallsInterceptor | undefined;
  const next = (() => body()) as unknown as Next<ActivityInboundCallsInterceptor, 'execute'>;
  return inbound ? inbound.execute!({ args: [], headers: {} } as ActivityExecuteInput, next) : body();
}

test('a running attempt heartbeats every third of its heartbeat timeout, repeating the last details it sent (or its previous attempt left)', async () => {
  const { ctx, sent } = fakeContext(300, { resumedFrom: 7 });
  await run(ctx, async () => {
    await sleep(250);
    ctx.heartbeat({ progress: 1 });
    await sleep(250);
    return 'done';
  });
  const n = sent.length;
  // Before the activity's own heartbeat: the previous attempt's details; after it: the new ones.
  expect(sent[0]).toEqual({ resumedFrom: 7 });
  expect(sent.filter((d) => JSON.stringify(d) === '{"resumedFrom":7}').length).toBeGreaterThanOrEqual(3);
  expect(sent.filter((d) => JSON.stringify(d) === '{"progress":1}').length).toBeGreaterThanOrEqual(3);
  expect(sent[n - 1]).toEqual({ progress: 1 });
  // Stopped with the attempt.
  await sleep(300);
  expect(sent).toHaveLength(n);
});

test('attempts without a heartbeat timeout are left alone; the interval is at most 3 s', async () => {
  const { ctx, sent } = fakeContext(undefined);
  await run(ctx, () => sleep(50));
  expect(sent).toEqual([]);
  expect(livenessEveryMs(10_000)).toBe(3000);
  expect(livenessEveryMs(3000)).toBe(1000);
});
