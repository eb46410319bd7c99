// The post-incident review on the stack's S3 (moto): what incident resolve stores, read back.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { createIncidentReviewActivities } from '../../src/activities/aws/incident-review';
import { defaultPlan } from '../../src/plan/load';
import { runActivity } from './activity-env';
import { stackConfig } from './stack';

jest.setTimeout(60_000);

const config = stackConfig();
const { storeIncidentReview } = createIncidentReviewActivities(config);
const s3 = new S3Client({
  region: config.aws.region,
  endpoint: config.aws.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  forcePathStyle: true,
});
const bucket = defaultPlan().artifactsBucket;

test('the review is stored as markdown and JSON; a retry overwrites the same objects', async () => {
  const key = `incidents/release-it-${Date.now()}/review`;
  const input = { bucket, key, markdown: '# Post-incident review\n', json: JSON.stringify({ severity: 'high' }) };
  const { result } = await runActivity(storeIncidentReview, input);
  expect(result).toEqual({ location: `s3://${bucket}/${key}.md` });
  expect((await runActivity(storeIncidentReview, input)).result).toEqual(result);
  const md = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.md` }));
  expect(await md.Body?.transformToString()).toBe(input.markdown);
  const json = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.json` }));
  expect(JSON.parse((await json.Body?.transformToString()) ?? '')).toEqual({ severity: 'high' });
});

test('a missing bucket is NotFound and an empty key InvalidInput, neither retried', async () => {
  const fail = (input: Parameters<typeof storeIncidentReview>[0]) =>
    runActivity(storeIncidentReview, input).then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(await fail({ bucket: 'hwayo-no-such-bucket', key: 'r', markdown: '#', json: '{}' })).toMatchObject({
    type: 'NotFound',
    nonRetryable: true,
  });
  const empty = await fail({ bucket, key: '/', markdown: '#', json: '{}' });
  expect(empty).toBeInstanceOf(ApplicationFailure);
  expect(empty).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
});
