// The artifacts bucket can be listed with the worker's credentials.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { answerOrThrow } from '../aws/checks';
import type { CheckRunner } from './check';

export const s3Bucket: CheckRunner<'s3-bucket'> = async (check, { aws }) => {
  try {
    const out = await aws.s3().send(new ListObjectsV2Command({ Bucket: check.bucket, MaxKeys: 100 }));
    const count = out.KeyCount ?? out.Contents?.length ?? 0;
    return {
      name: check.name,
      ok: true,
      detail: `s3://${check.bucket} is readable (${count}${out.IsTruncated ? '+' : ''} objects listed)`,
      data: { objects: count },
    };
  } catch (err) {
    return answerOrThrow(check.name, `listing s3://${check.bucket}`, err);
  }
};
