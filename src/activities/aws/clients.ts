// AWS SDK clients (RDS, S3, WAF, EC2) built from the worker's configuration (endpoint override for moto /
// LocalStack). A plug-in that needs another AWS client builds it from `awsClientOptions` (src/metrics/cloudwatch/).
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { tracedAwsClient } from '../../telemetry/tracing';
import type { ActivityConfig } from '../config';

/** Region, endpoint override, credentials and retries of every AWS client the worker makes. */
export function awsClientOptions(config: Pick<ActivityConfig, 'aws'>) {
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
  const base = awsClientOptions(config);
  let rds: RDSClient | undefined, s3: S3Client | undefined, waf: WAFV2Client | undefined, ec2: EC2Client | undefined;
  return {
    // Every command is a child span of the activity's (when tracing is on).
    rds: () => (rds ??= tracedAwsClient(new RDSClient(base))),
    // Path-style addressing: an endpoint override (moto) has no per-bucket DNS names.
    s3: () => (s3 ??= tracedAwsClient(new S3Client({ ...base, forcePathStyle: base.endpoint !== undefined }))),
    waf: () => (waf ??= tracedAwsClient(new WAFV2Client(base))),
    ec2: () => (ec2 ??= tracedAwsClient(new EC2Client(base))),
  };
}

export type AwsClients = ReturnType<typeof awsClients>;

/** Splits "s3://bucket/key/with/slashes". */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}
