// The CLI's S3 client, from the same variables the worker reads (moto on a local stack: AWS_ENDPOINT_URL).
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientOptions } from '../activities/aws/clients';

export function cliS3(e: NodeJS.ProcessEnv): S3Client {
  return new S3Client({
    ...awsClientOptions({
      aws: {
        region: e.AWS_REGION || 'ap-northeast-1',
        endpoint: e.AWS_ENDPOINT_URL || undefined,
        accessKeyId: e.AWS_ACCESS_KEY_ID || undefined,
        secretAccessKey: e.AWS_SECRET_ACCESS_KEY || undefined,
      },
    }),
    forcePathStyle: !!e.AWS_ENDPOINT_URL,
  });
}
