// AWS SDK clients (RDS, S3, WAF, EC2, CloudWatch) built from the worker's configuration (endpoint override for moto /
// LocalStack).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { tracedAwsClient } from '../../telemetry/tracing';
import type { ActivityConfig } from '../config';

function baseOptions(config: ActivityConfig) {
  const { region, endpoint, accessKeyId, secretAccessKey } = config.aws;
  return {
    region,
    endpoint,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    // The activity's retry policy owns retries; the SDK only smooths a blip.
    maxAttempts: 2,
  };
}

export function awsClients(config: ActivityConfig) {
  const base = baseOptions(config);
  let rds: RDSClient | undefined,
    s3: S3Client | undefined,
    waf: WAFV2Client | undefined,
    ec2: EC2Client | undefined,
    cloudwatch: CloudWatchClient | undefined;
  return {
    // Every command is a child span of the activity's (when tracing is on).
    rds: () => (rds ??= tracedAwsClient(new RDSClient(base))),
    // Path-style addressing: an endpoint override (moto) has no per-bucket DNS names.
    s3: () => (s3 ??= tracedAwsClient(new S3Client({ ...base, forcePathStyle: base.endpoint !== undefined }))),
    waf: () => (waf ??= tracedAwsClient(new WAFV2Client(base))),
    ec2: () => (ec2 ??= tracedAwsClient(new EC2Client(base))),
    cloudwatch: () => (cloudwatch ??= tracedAwsClient(new CloudWatchClient(base))),
  };
}

export type AwsClients = ReturnType<typeof awsClients>;

/** Splits "s3://bucket/key/with/slashes". */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}
