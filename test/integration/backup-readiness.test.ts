// The backup-readiness preflight check (SEED section 9 "Before") against moto's RDS: the stack's seeded
// hwayo-prod-db-backup-latest (encrypted, just taken) passes; a snapshot of an unencrypted instance, a
// missing snapshot, and the seeded one judged a day later fail. Needs: up.sh moto.
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { createPreflightActivities } from '../../src/activities/preflight';
import { judgeBackupSnapshot } from '../../src/activities/preflight/rds-snapshot';
import type { PreflightCheck } from '../../src/plan/types';
import { defaultPlan } from '../../src/plan/load';
import { runActivity } from './activity-env';
import { stackConfig } from './stack';

jest.mock('@kubernetes/client-node', () =>
  jest.requireActual<typeof import('./native-esm')>('./native-esm').kubernetesClient(),
);
jest.setTimeout(60_000);

const config = stackConfig();
const plan = defaultPlan();
const context = { blueNamespace: plan.environments.blue, greenNamespace: plan.environments.green };
const backup = plan.preflight.checks.find((c) => c.kind === 'rds-snapshot') as Extract<
  PreflightCheck,
  { kind: 'rds-snapshot' }
>;
const run = async (c: PreflightCheck) =>
  (await runActivity(createPreflightActivities(config).runCheck, { check: c, context })).result;
const rds = new RDSClient({
  region: config.aws.region,
  endpoint: config.aws.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

test('the seeded backup snapshot is available, encrypted and fresh', async () => {
  expect(await run(backup)).toMatchObject({
    ok: true,
    detail: expect.stringContaining('backup snapshot hwayo-prod-db-backup-latest available, encrypted'),
    data: { status: 'available', encrypted: true },
  });
});

test('a missing snapshot fails', async () => {
  expect(await run({ ...backup, snapshot: 'hwayo-no-such-snapshot' })).toMatchObject({
    ok: false,
    detail: 'backup snapshot hwayo-no-such-snapshot does not exist: take a snapshot before releasing',
  });
});

test('a snapshot of an unencrypted instance fails', async () => {
  const id = `hwayo-plain-${Date.now()}`;
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'hwayo',
      MasterUserPassword: 'hwayo-local-only',
    }),
  );
  try {
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: `${id}-snap`, DBInstanceIdentifier: id }));
    expect(await run({ ...backup, snapshot: `${id}-snap` })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('is not encrypted'),
      data: { encrypted: false },
    });
  } finally {
    await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: `${id}-snap` })).catch(() => undefined);
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
  }
});

test("the seeded snapshot, a day and an hour later, is older than the plan's 24 h", async () => {
  const { DBSnapshots } = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: backup.snapshot }));
  const later = new Date(DBSnapshots![0].SnapshotCreateTime!).getTime() + 25 * 3_600_000;
  expect(judgeBackupSnapshot(backup, DBSnapshots![0], later)).toMatchObject({
    ok: false,
    detail: expect.stringMatching(/is 25 h old .*older than the 24 h allowed/),
  });
});
