// The stop-the-line singleton with the real activity that releases ask it through: signed freezes by operators
// of the policy only, each signature good once; a release started while frozen is refused, one after unfreeze runs.
import { readStopTheLine } from '../../src/activities/policy/windows';
import { refuseWhileStopped } from '../../src/client/stop-the-line';
import { defaultPlan } from '../../src/plan/load';
import { parsePolicy } from '../../src/policy/schema';
import { releaseWorkflow, stopTheLineWorkflow } from '../../src/workflows';
import { statusQuery } from '../../src/workflows/definitions';
import { signText } from '../../src/workflows/signatures';
import {
  STOP_THE_LINE_ID,
  stopTheLineQuery,
  stopTheLineStatement,
  stopTheLineUpdate,
  type StopTheLineRequest,
  type StopTheLineState,
} from '../../src/workflows/stop-the-line-defs';
import { platformPeople, seedPolicy, signedByPlatform } from '../unit/policy-fixture';
import { createWorker, uniqueId, useWorkflowEnv, waitForStatus } from './env';
import { FakeWorld } from './fake-world';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

const { secrets: SECRETS, keys: KEYS } = platformPeople();
const { policy } = parsePolicy(seedPolicy(KEYS));

/** A signed request for the singleton `chain` (its first run's id) at `seq`. */
const request = (
  action: 'freeze' | 'unfreeze',
  by: string,
  key: Uint8Array,
  seq: number,
  chain: string,
): StopTheLineRequest => {
  const base = { action, by, reason: `${action}: payments incident`, seq, chain };
  return { ...base, signature: signText(stopTheLineStatement(base), key) };
};

test('operators freeze and unfreeze with signed updates; a release started while frozen is refused', async () => {
  const world = new FakeWorld({
    policy: { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] },
  });
  const taskQueue = uniqueId('tq');
  const worker = await createWorker(t.env, t.bundle, { ...world.activities(), readStopTheLine }, taskQueue);
  await worker.runUntil(async () => {
    // A previous test run's singleton would share the id: this test server is fresh per file.
    const line = await t.env.client.workflow.start(stopTheLineWorkflow, {
      args: [{}],
      taskQueue,
      workflowId: STOP_THE_LINE_ID,
    });
    const send = (req: StopTheLineRequest) => line.executeUpdate(stopTheLineUpdate, { args: [req] });
    const chain = line.firstExecutionRunId;
    expect((await line.query(stopTheLineQuery)).chain).toBe(chain);

    expect(await send(request('freeze', 'alice', SECRETS.alice, 0, chain))).toMatchObject({
      accepted: false,
      detail: 'alice is not an operator of the platform policy',
    });
    expect(await send(request('freeze', 'olga', SECRETS.alice, 0, chain))).toMatchObject({
      accepted: false,
      detail: "the signature is not olga's",
    });
    const frozen = await send(request('freeze', 'olga', SECRETS.olga, 0, chain));
    expect(frozen).toMatchObject({ accepted: true, state: { frozen: true, by: 'olga', seq: 1 } });
    // The same signed request again: it named seq 0, the line is at 1.
    expect((await send(request('freeze', 'olga', SECRETS.olga, 0, chain))).detail).toBe(
      'signed for seq 0, the stop-the-line is at 1: sign again',
    );
    await expect(refuseWhileStopped(t.env.client)).rejects.toThrow(/^stop-the-line by olga since .*: freeze: payments/);

    const start = () => {
      const plan = signedByPlatform(defaultPlan(), KEYS);
      return t.env.client.workflow.start(releaseWorkflow, {
        args: [{ plan, version: '2.4.0', imageTag: '1234-abc1234', lastKnownGoodTag: '1200-0ld600d' }],
        taskQueue,
        workflowId: uniqueId('release'),
      });
    };
    // Polled, not awaited: awaiting a result lets the test server skip time, and with no timer pending in the
    // singleton it skips to the end of time (the singleton then times out). The result is read at the end.
    const first = await start();
    await waitForStatus(
      () => first.describe(),
      (d) => d.status.name !== 'RUNNING',
      () => new Promise((r) => setTimeout(r, 100)),
    );

    expect(await send(request('unfreeze', 'olga', SECRETS.olga, 1, chain))).toMatchObject({
      accepted: true,
      state: { frozen: false, seq: 2 },
    });
    expect(await line.query(stopTheLineQuery)).toMatchObject({ frozen: false, seq: 2 });
    await expect(refuseWhileStopped(t.env.client)).resolves.toBeUndefined();
    const handle = await start();
    const s = await waitForStatus(
      () => handle.query(statusQuery),
      (x) => x.stage === 'awaiting-approval',
      () => t.env.sleep(1_000),
    );
    expect(s.stage).toBe('awaiting-approval');
    await handle.terminate('test finished');
    await line.terminate('test finished');
    const refused = await first.result();
    expect(refused.outcome).toBe('rejected');
    expect(refused.reason).toMatch(/^refused, nothing was done: stop-the-line by olga since .*: freeze: payments/);
  });
});

test('a request signed for a singleton that was terminated does not work on the next one; a state given at start is ignored', async () => {
  const world = new FakeWorld({
    policy: { source: 'configmap hwayo-release/hwayo-release-policy', policy, problems: [] },
  });
  const taskQueue = uniqueId('tq');
  const worker = await createWorker(t.env, t.bundle, world.activities(), taskQueue);
  await worker.runUntil(async () => {
    const workflowId = uniqueId('stop-the-line');
    const begin = (state?: StopTheLineState) =>
      t.env.client.workflow.start(stopTheLineWorkflow, { args: [state ? { state } : {}], taskQueue, workflowId });
    const first = await begin();
    const signed = request('freeze', 'olga', SECRETS.olga, 0, first.firstExecutionRunId);
    expect(await first.executeUpdate(stopTheLineUpdate, { args: [signed] })).toMatchObject({ accepted: true });
    await first.terminate('an admin ends it');

    // Started again, its seq is back at 0: the freeze signed for the first one is refused by this one.
    const second = await begin();
    expect(await second.executeUpdate(stopTheLineUpdate, { args: [signed] })).toMatchObject({
      accepted: false,
      detail: `signed for another stop-the-line (${first.firstExecutionRunId}), this one is ${second.firstExecutionRunId}: sign again`,
    });
    // A v1 request (no chain), as signed before the chain existed, is refused too.
    const { chain: _chain, ...v1 } = request('freeze', 'olga', SECRETS.olga, 0, second.firstExecutionRunId);
    const unchained = { ...v1, signature: signText(stopTheLineStatement(v1), SECRETS.olga) };
    expect((await second.executeUpdate(stopTheLineUpdate, { args: [unchained] })).detail).toMatch(
      /^signed for another stop-the-line \(none named\)/,
    );
    await second.terminate('an admin ends it');

    // A client starting it with a state of its own (frozen in an operator's name, at a seq of its choice) gets none.
    const forged = await begin({ frozen: true, by: 'olga', reason: 'forged', seq: 7, chain: 'x' });
    expect(await forged.query(stopTheLineQuery)).toEqual({ frozen: false, seq: 0, chain: forged.firstExecutionRunId });
    await forged.terminate('test finished');
  });
});
