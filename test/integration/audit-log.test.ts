// The audit log on moto's S3 with Object Lock: one object per entry, locked in COMPLIANCE mode for 7 years; a retry
// writes nothing twice; deleting a version is refused; an overwrite or a delete marker cannot hide the entry first
// written; and `hwayo-release audit` reads a whole release's log back in order.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { auditKey, createAuditActivities } from '../../src/activities/aws/audit-log';
import { readAuditLog } from '../../src/client/audit-read';
import { run } from '../../src/client/main';
import type { AuditDraft, AuditLogEntry } from '../../src/workflows/audit-entries';
import { runActivity } from './activity-env';
import { stackConfig, stackEnv } from './stack';

jest.setTimeout(60_000);

const config = stackConfig();
const BUCKET = 'hwayo-release-audit';
const s3 = new S3Client({
  region: config.aws.region,
  endpoint: config.aws.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  forcePathStyle: true,
});
const activities = createAuditActivities(config);
const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
afterAll(() => s3.destroy());

/** A whole rolled-back release's entries: every kind, numbered from 0. */
function release(releaseId: string): AuditLogEntry[] {
  const t = (m: number) => new Date(Date.UTC(2026, 11, 6, 1, m)).toISOString();
  const drafts: AuditDraft[] = [
    { at: t(0), kind: 'start', by: 'ci', detail: 'release of hwayo 2.4.0 (1234-abc1234) requested' },
    { at: t(1), kind: 'check', ok: true, detail: 'nodes: 3 ready' },
    { at: t(2), kind: 'approval', ok: true, by: 'qa-lead', detail: 'approve: qa-lead approved' },
    { at: t(3), kind: 'control', ok: false, by: 'eve', detail: 'pause: not an operator' },
    { at: t(4), kind: 'traffic', detail: 'green 5% (canary step 1/3)', data: { weight: 5 } },
    { at: t(5), kind: 'rollback', detail: 'error_rate 9 > 5', data: { outcome: 'rolled-back' } },
    { at: t(6), kind: 'traffic', detail: 'green 0% (rollback)', data: { weight: 0 } },
    { at: t(7), kind: 'compensation', ok: true, detail: 'traffic-to-blue' },
    { at: t(8), kind: 'outcome', detail: 'rolled-back: error_rate 9 > 5', data: { outcome: 'rolled-back' } },
  ];
  return drafts.map((d, seq) => ({ releaseId, seq, ...d }));
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

async function versionsOf(key: string) {
  const page = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: key }));
  return page.Versions ?? [];
}

test('a batch is stored one locked object per entry, and its retry after a crash writes nothing twice', async () => {
  const releaseId = unique('release-audit');
  const entries = release(releaseId);
  const first = await runActivity(activities.appendAuditLog, { releaseId, entries: entries.slice(0, 5) });
  expect(first.result).toMatchObject({ written: 5, present: 0 });
  // The retry of a crashed attempt of the whole batch: the five are found unchanged, the rest written.
  const retry = await runActivity(activities.appendAuditLog, { releaseId, entries });
  expect(retry.result).toMatchObject({ written: entries.length - 5, present: 5 });
  for (const e of entries) expect(await versionsOf(auditKey(releaseId, e.seq))).toHaveLength(1);
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: auditKey(releaseId, 0) }));
  expect(head.ObjectLockMode).toBe('COMPLIANCE');
  expect(head.ObjectLockRetainUntilDate?.toISOString()).toBe('2033-12-06T01:00:00.000Z');
  // Another entry under a number already taken is refused, and the stored one stays.
  const other = { ...entries[2], detail: 'approve: someone else' };
  const conflict = await failure(runActivity(activities.appendAuditLog, { releaseId, entries: [other] }));
  expect(conflict).toBeInstanceOf(ApplicationFailure);
  expect((conflict as ApplicationFailure).type).toBe('Conflict');
  expect((await readAuditLog(s3, BUCKET, releaseId)).entries).toEqual(entries);
});

test('deleting an entry version is refused; an overwrite or delete marker hides nothing', async () => {
  const releaseId = unique('release-audit');
  const entries = release(releaseId);
  await runActivity(activities.appendAuditLog, { releaseId, entries });
  const key = auditKey(releaseId, 5);
  const [version] = await versionsOf(key);
  const deleted = await failure(
    s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, VersionId: version.VersionId })),
  );
  expect(deleted.name).toBe('AccessDenied');
  // A later PUT over the entry and a delete without a version: new versions on top, the first stays readable.
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: auditKey(releaseId, 6), Body: '{"forged":true}' }));
  await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: auditKey(releaseId, 7) }));
  const back = await readAuditLog(s3, BUCKET, releaseId);
  expect(back.entries).toEqual(entries);
  expect(back.tampered).toEqual([auditKey(releaseId, 6), auditKey(releaseId, 7)]);
  const [stillThere] = (await versionsOf(key)).filter((v) => v.VersionId === version.VersionId);
  expect(stillThere).toBeDefined();
});

test('a bucket without Object Lock is refused before anything is written', async () => {
  const bucket = unique('hwayo-unlocked');
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: config.aws.region as never },
    }),
  );
  const unlocked = createAuditActivities({ ...config, audit: { bucket } });
  const releaseId = unique('release-audit');
  const err = await failure(runActivity(unlocked.appendAuditLog, { releaseId, entries: release(releaseId) }));
  expect(err.message).toContain('has no Object Lock');
  expect((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions ?? []).toEqual([]);
});

test('`hwayo-release audit --no-history` prints a whole log in order; a gap or tampering exits 7', async () => {
  const releaseId = unique('release-audit');
  const entries = release(releaseId);
  await runActivity(activities.appendAuditLog, { releaseId, entries: entries.filter((e) => e.seq !== 3) });
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s), env: stackEnv(), isTTY: false };
  expect(await run(['audit', releaseId, '--no-history'], io)).toBe(7);
  expect(out.join('\n')).toContain('INCOMPLETE: entries 3..3 are missing');
  await runActivity(activities.appendAuditLog, { releaseId, entries: [entries[3]] });
  out.length = 0;
  expect(await run(['audit', releaseId, '--no-history'], io)).toBe(0);
  const text = out.join('\n');
  expect(text).toContain(`9 entries, ${entries[0].at} .. ${entries[8].at}: complete, numbered 0..8 without a gap`);
  expect(text).toContain('start 1, check 1, approval 1, control 1, traffic 2, rollback 1, compensation 1, outcome 1');
  const seqs = text.split('\n').flatMap((l) => /^\s+(\d+) 2026-/.exec(l)?.[1] ?? []);
  expect(seqs).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
});
