// The cluster's S3 archive (temporal-cluster.sh: s3store against moto), as the server lays it out:
// <namespace id>/history/<workflow id>/<run id>/... (go.temporal.io/server common/archiver/s3store).
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { cliS3 } from '../../src/client/s3';

export const ARCHIVE_BUCKET = 'hwayo-temporal-archive';

/** The keys of the run's archived history (empty until the server archived it). */
export async function archivedHistoryKeys(namespaceId: string, workflowId: string, runId: string): Promise<string[]> {
  const out = await cliS3(process.env).send(
    new ListObjectsV2Command({ Bucket: ARCHIVE_BUCKET, Prefix: `${namespaceId}/history/${workflowId}/${runId}/` }),
  );
  return (out.Contents ?? []).map((o) => o.Key!);
}
