// Every object of a namespace as one YAML List (what `kubectl get <every type> -o yaml` would give),
// found through API discovery so custom resources (VirtualServices, HTTPRoutes) are included.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import type { CodecKey } from '../../codec/keys';
import type { ActivityConfig } from '../config';
import type { BackupInput } from '../contract';
import { nonRetryable } from '../errors';
import type { KubeClients } from './client';
import { protectSecret } from './backup-secrets';
import { kubeCall, kubeFailure } from './errors';

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}
interface ResourceList {
  groupVersion: string;
  resources: ApiResource[];
}
interface GroupList {
  groups: { name: string; preferredVersion: { groupVersion: string } }[];
}
interface ObjectList {
  items: Record<string, unknown>[];
}

/** Events are a log, not state; restoring them would be meaningless. */
const SKIPPED = new Set(['v1/events', 'events.k8s.io/v1/events']);

async function namespacedResourceTypes(k: KubeClients): Promise<{ groupVersion: string; resource: ApiResource }[]> {
  const groups = await kubeCall('discover API groups', () => k.getJson<GroupList>('/apis'));
  const versions = ['v1', ...groups.groups.map((g) => g.preferredVersion.groupVersion)];
  const lists = await Promise.all(
    versions.map((gv) =>
      kubeCall(`discover ${gv}`, () => k.getJson<ResourceList>(gv === 'v1' ? '/api/v1' : `/apis/${gv}`)),
    ),
  );
  return lists.flatMap((list) =>
    list.resources
      .filter(
        (r) =>
          r.namespaced &&
          !r.name.includes('/') &&
          r.verbs.includes('list') &&
          !SKIPPED.has(`${list.groupVersion}/${r.name}`),
      )
      .map((resource) => ({ groupVersion: list.groupVersion, resource })),
  );
}

/** All objects of `namespace`, server-only noise (managedFields) removed, kind/apiVersion filled in. */
export async function namespaceObjects(k: KubeClients, namespace: string): Promise<Record<string, unknown>[]> {
  const types = await namespacedResourceTypes(k);
  const lists = await Promise.all(
    types.map(async ({ groupVersion, resource }) => {
      const prefix = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
      const list = await kubeCall(`list ${resource.name} in ${namespace}`, () =>
        k.getJson<ObjectList>(`${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource.name}`),
      );
      return list.items.map((item) => {
        const meta = { ...(item.metadata as Record<string, unknown>) };
        delete meta.managedFields;
        return { apiVersion: groupVersion, kind: resource.kind, ...item, metadata: meta };
      });
    }),
  );
  return lists.flat();
}

export async function backupNamespace(
  k: KubeClients,
  aws: ActivityConfig['aws'],
  input: BackupInput,
  codecKeys: CodecKey[] = [],
): Promise<{ location: string; objects: number }> {
  // Backing up a namespace that is gone would store an empty file and call it a backup.
  await kubeCall(`read namespace ${input.namespace}`, () => k.core.readNamespace({ name: input.namespace }));
  // No Secret value reaches the bucket in the clear (./backup-secrets.ts).
  const items = (await namespaceObjects(k, input.namespace)).map((item) => protectSecret(item, codecKeys));
  const body = stringify({ apiVersion: 'v1', kind: 'List', items });
  const s3 = new S3Client({
    region: aws.region,
    endpoint: aws.endpoint,
    forcePathStyle: aws.endpoint !== undefined,
    credentials:
      aws.accessKeyId && aws.secretAccessKey
        ? { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey }
        : undefined,
  });
  try {
    // Encrypted at rest as well (SEED 8.2 "backups encrypted"); Secret values are encrypted above.
    await s3.send(
      new PutObjectCommand({
        Bucket: input.bucket,
        Key: input.key,
        Body: body,
        ContentType: 'application/yaml',
        ServerSideEncryption: 'AES256',
      }),
    );
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'NoSuchBucket') throw nonRetryable('NotFound', `backup bucket ${input.bucket} does not exist`);
    if (name === 'AccessDenied')
      throw nonRetryable('PermissionDenied', `writing s3://${input.bucket}/${input.key}: access denied`);
    throw kubeFailure(err, `write backup to s3://${input.bucket}/${input.key}`);
  } finally {
    s3.destroy();
  }
  return { location: `s3://${input.bucket}/${input.key}`, objects: items.length };
}
