// SEED 9 "rollback script tested": the release starts only when the database's last restore rehearsal
// (`hwayo-release rehearsal`, src/workflows/restore-rehearsal.ts) succeeded within the plan's bound. The record
// is the one the rehearsal wrote to the worker's rehearsal bucket.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { answerOrThrow } from '../aws/checks';
import { rehearsalBucket, rehearsalKeys, type RehearsalRecord } from '../aws/rehearsal';
import type { CheckResult } from '../contract';
import type { CheckOf, CheckRunner } from './check';

export const DEFAULT_REHEARSAL_MAX_AGE_MS = 7 * 86_400_000;
const HOUR = 3_600_000;

/** The decision on the latest record (undefined: none). Pure, so tests can move the clock. */
export function judgeRehearsal(
  check: CheckOf<'restore-rehearsal'>,
  record: Partial<RehearsalRecord> | undefined,
  now: number,
): CheckResult {
  const db = check.database;
  const maxAge = check.maxAge ?? DEFAULT_REHEARSAL_MAX_AGE_MS;
  const fail = (detail: string, data: CheckResult['data'] = {}) => ({ name: check.name, ok: false, detail, data });
  const rehearse = `run \`hwayo-release rehearsal run --database ${db}\``;
  if (!record) return fail(`no restore rehearsal of ${db} is recorded: ${rehearse}`);
  const at = typeof record.at === 'string' ? Date.parse(record.at) : NaN;
  if (!Number.isFinite(at)) return fail(`the last restore rehearsal of ${db} has no time: ${rehearse}`);
  const ageHours = Math.round(((now - at) / HOUR) * 10) / 10;
  const data = { at: new Date(at).toISOString(), ageHours, scratch: String(record.scratch ?? '') };
  if (record.ok !== true)
    return fail(`the last restore rehearsal of ${db} (${data.at}) failed: ${record.detail ?? '?'}`, data);
  if (now - at > maxAge)
    return fail(
      `the last restore rehearsal of ${db} is ${ageHours} h old (${data.at}), older than the ${maxAge / HOUR} h allowed: ${rehearse}`,
      data,
    );
  return { name: check.name, ok: true, detail: `restore of ${db} rehearsed ${ageHours} h ago (${data.at})`, data };
}

export const restoreRehearsal: CheckRunner<'restore-rehearsal'> = async (check, { config, aws }) => {
  const bucket = rehearsalBucket(config);
  const key = rehearsalKeys(check.database).latest;
  let record: Partial<RehearsalRecord> | undefined;
  try {
    const out = await aws.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await out.Body?.transformToString()) ?? '';
    try {
      record = JSON.parse(text) as Partial<RehearsalRecord>;
    } catch {
      return { name: check.name, ok: false, detail: `the rehearsal record s3://${bucket}/${key} does not parse` };
    }
    if (typeof record !== 'object' || record === null) record = {};
  } catch (err) {
    // NoSuchKey is "never rehearsed"; a missing bucket or no permission is an answer a person acts on.
    if ((err as Error).name !== 'NoSuchKey') return answerOrThrow(check.name, `reading s3://${bucket}/${key}`, err);
  }
  return judgeRehearsal(check, record, Date.now());
};
