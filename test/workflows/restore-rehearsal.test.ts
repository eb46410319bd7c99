// The restore rehearsal with fake activities: a good restore is recorded as a success; a scratch instance that
// fails its check, or a restore that fails, is still deleted and recorded as a failure.
import type { Activities } from '../../src/activities';
import type { RehearsalRecord, ScratchCheck, ScratchInput } from '../../src/activities/aws/rehearsal';
import { nonRetryable } from '../../src/activities/errors';
import { restoreRehearsalWorkflow } from '../../src/workflows';
import { createWorker, uniqueId, useWorkflowEnv } from './env';

jest.setTimeout(60_000);
const t = useWorkflowEnv();

function fakes(opts: { restoreFails?: boolean; check?: ScratchCheck }) {
  const calls: string[] = [];
  const records: RehearsalRecord[] = [];
  const activities = {
    async restoreRehearsalInstance(input: ScratchInput) {
      calls.push(`restore ${input.scratch} from ${input.snapshot}`);
      if (opts.restoreFails) throw nonRetryable('NotFound', `backup snapshot ${input.snapshot} not found`);
      return { instance: input.scratch, endpoint: 'scratch.local', port: 5432, existed: false };
    },
    async checkRehearsalInstance(input: ScratchInput) {
      calls.push(`check ${input.scratch}`);
      return opts.check ?? { ok: true, detail: `scratch instance ${input.scratch} available` };
    },
    async deleteRehearsalInstance(input: ScratchInput) {
      calls.push(`delete ${input.scratch} as ${input.owner}`);
      return { deleted: true };
    },
    async recordRehearsal(record: RehearsalRecord) {
      records.push(record);
      return { location: `s3://bucket/rehearsals/${record.database}/latest.json` };
    },
  };
  return { calls, records, activities: activities as unknown as Activities };
}

async function rehearse(world: ReturnType<typeof fakes>) {
  const taskQueue = uniqueId('tq');
  const workflowId = uniqueId('rehearsal');
  const worker = await createWorker(t.env, t.bundle, world.activities, taskQueue);
  const result = await worker.runUntil(
    t.env.client.workflow.execute(restoreRehearsalWorkflow, { args: [{}], taskQueue, workflowId }),
  );
  return { result, workflowId };
}

test('a good restore is checked, deleted and recorded as a success', async () => {
  const world = fakes({});
  const { result, workflowId } = await rehearse(world);
  const scratch = result.scratch;
  expect(scratch).toMatch(/^hwayo-rehearsal-[0-9a-f]{8}$/);
  expect(world.calls).toEqual([
    `restore ${scratch} from hwayo-prod-db-backup-latest`,
    `check ${scratch}`,
    `delete ${scratch} as ${workflowId}`,
  ]);
  expect(result).toMatchObject({ ok: true, database: 'hwayo-prod-db', snapshot: 'hwayo-prod-db-backup-latest' });
  expect(world.records).toEqual([result]);
});

test('a scratch instance that fails its check is still deleted, and the failure recorded', async () => {
  const world = fakes({ check: { ok: false, detail: 'scratch instance x does not match its backup: engine mysql' } });
  const { result } = await rehearse(world);
  expect(world.calls[2]).toMatch(/^delete hwayo-rehearsal-/);
  expect(result).toMatchObject({ ok: false, detail: 'scratch instance x does not match its backup: engine mysql' });
  expect(world.records).toEqual([result]);
});

test('a failed restore still deletes the scratch id and records why', async () => {
  const world = fakes({ restoreFails: true });
  const { result } = await rehearse(world);
  expect(world.calls.map((c) => c.split(' ')[0])).toEqual(['restore', 'delete']);
  expect(result.ok).toBe(false);
  expect(result.detail).toContain('backup snapshot hwayo-prod-db-backup-latest not found');
  expect(world.records).toEqual([result]);
});
