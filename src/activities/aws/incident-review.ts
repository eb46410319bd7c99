// Stores a post-incident review (markdown for people, JSON for machines) next to the release's report.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { awsFailure } from '../classify';
import type { ActivityConfig } from '../config';
import type { StoreReportInput } from '../contract';
import { nonRetryable } from '../errors';
import { awsClients } from './clients';

export function createIncidentReviewActivities(config: ActivityConfig) {
  const aws = awsClients(config);
  return {
    async storeIncidentReview(input: StoreReportInput): Promise<{ location: string }> {
      const base = input.key.replace(/^\/+/, '');
      if (!base || !input.bucket) throw nonRetryable('InvalidInput', 'an incident review needs a bucket and a key');
      // Overwriting the same keys makes a retry harmless.
      const put = (Key: string, Body: string, ContentType: string) =>
        aws.s3().send(new PutObjectCommand({ Bucket: input.bucket, Key, Body, ContentType }));
      try {
        await put(`${base}.md`, input.markdown, 'text/markdown; charset=utf-8');
        await put(`${base}.json`, input.json, 'application/json');
      } catch (err) {
        throw awsFailure(`storing incident review s3://${input.bucket}/${base}`, err);
      }
      return { location: `s3://${input.bucket}/${base}.md` };
    },
  };
}
