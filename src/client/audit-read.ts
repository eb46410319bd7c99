// Reads a release's audit log back from its Object Lock bucket. Every version is listed, not just the
// current objects: a later PUT over an entry or a delete marker cannot hide the entry first written,
// which is the one kept (its version is locked); such attempts are reported.
import { GetObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditLogEntry } from '../workflows/audit-entries';

export interface AuditReadBack {
  entries: AuditLogEntry[];
  /** Keys with more than one version or a delete marker: someone tried to replace or hide an entry. */
  tampered: string[];
}

interface Version {
  key: string;
  versionId?: string;
}

async function listVersions(s3: S3Client, bucket: string, prefix: string) {
  const versions: Version[] = [];
  const markers = new Set<string>();
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    for (const v of page.Versions ?? []) if (v.Key) versions.push({ key: v.Key, versionId: v.VersionId });
    for (const m of page.DeleteMarkers ?? []) if (m.Key) markers.add(m.Key);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return { versions, markers };
}

export async function readAuditLog(s3: S3Client, bucket: string, releaseId: string): Promise<AuditReadBack> {
  const { versions, markers } = await listVersions(s3, bucket, `audit/${releaseId}/`);
  const byKey = new Map<string, Version[]>();
  for (const v of versions) byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);
  const tampered = [...new Set([...markers, ...[...byKey].filter(([, vs]) => vs.length > 1).map(([k]) => k)])].sort();
  const entries: AuditLogEntry[] = [];
  for (const [key, vs] of [...byKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // S3 lists a key's versions newest first: the last one is the entry as first written.
    const first = vs[vs.length - 1];
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: first.versionId }));
    entries.push(JSON.parse((await got.Body?.transformToString('utf-8')) ?? '') as AuditLogEntry);
  }
  return { entries: entries.sort((a, b) => a.seq - b.seq), tampered };
}
