// SEED section 9 "Before": blue's configuration is backed up before the release changes anything. The check
// takes that backup (every object of blue's namespace, Secret values encrypted, ../kubernetes/backup.ts) to the
// plan's bucket, server-side encrypted, and reads it back: the release starts only with a backup it can name.
// The key is the release's (app, version): a retried or repeated check rewrites the same object.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { backupNamespace } from '../kubernetes/backup';
import type { CheckRunner } from './check';

/** Where the check writes blue's configuration for a release. */
export const configBackupKey = (app: string, version: string, namespace: string): string =>
  `backups/${app}/${version}/${namespace}-before-release.yaml`;

export const configBackup: CheckRunner<'config-backup'> = async (check, { config, aws, kube, input }) => {
  const { blueNamespace: blue, app = 'app', version = 'unversioned' } = input.context;
  const key = configBackupKey(app, version, blue);
  const fail = (detail: string) => ({ name: check.name, ok: false, detail });
  let backup: { location: string; objects: number };
  try {
    backup = await backupNamespace(
      kube(),
      config.aws,
      { namespace: blue, bucket: check.bucket, key },
      config.codecKeys,
    );
  } catch (err) {
    // Missing namespace or bucket, or no permission: a failed check a person can act on. Anything else is retried.
    if (err instanceof ApplicationFailure && err.nonRetryable)
      return fail(`config backup of blue ${blue} to s3://${check.bucket}/${key} failed: ${err.message}`);
    throw err;
  }
  if (backup.objects === 0) return fail(`blue ${blue} has no objects: there is no configuration to back up`);
  const head = await aws.s3().send(new HeadObjectCommand({ Bucket: check.bucket, Key: key }));
  if (!head.ContentLength) return fail(`config backup ${backup.location} reads back empty`);
  if (head.ServerSideEncryption !== 'AES256')
    return fail(`config backup ${backup.location} is not encrypted at rest (SEED 8.2: backups encrypted)`);
  return {
    name: check.name,
    ok: true,
    detail: `config of blue ${blue} backed up before the release: ${backup.objects} objects, ${backup.location}`,
    data: { location: backup.location, objects: backup.objects, bytes: head.ContentLength },
  };
};
