// Secrets in a namespace backup: the artifacts bucket is read by more people and tools than the
// cluster's Secrets are, so no value is written in the clear. With the codec keys (HWAYO_CODEC_KEYS)
// the values are encrypted (AES-256-GCM under the derived Secret-backup key, bound to the Secret's
// namespace/name); without keys (HWAYO_CODEC=off) only the
// Secret's name and key names are kept (a reference: the values stay in the cluster).
import type { CodecKey } from '../../codec/keys';
import { open, seal, type Envelope } from '../../codec/envelope';

type Item = Record<string, unknown>;
interface Meta {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
}

/** kubectl's copy of what was applied: for a Secret, its values in the clear. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const aadOf = (meta: Meta) => `Secret ${meta.namespace ?? ''}/${meta.name ?? ''}`;

/** The backup form of one listed object: Secrets lose `data`/`stringData`, everything else is unchanged. */
export function protectSecret(item: Item, keys: CodecKey[]): Item {
  if (item.kind !== 'Secret') return item;
  const { data, stringData, ...rest } = item as Item & {
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  };
  const meta = { ...(rest.metadata as Meta) };
  if (meta.annotations && LAST_APPLIED in meta.annotations) {
    const annotations = { ...meta.annotations };
    delete annotations[LAST_APPLIED];
    meta.annotations = annotations;
  }
  const names = [...new Set([...Object.keys(data ?? {}), ...Object.keys(stringData ?? {})])].sort();
  const values = { data: data ?? {}, ...(stringData ? { stringData } : {}) };
  return {
    ...rest,
    metadata: meta,
    ...(keys.length
      ? { encryptedData: seal(keys, Buffer.from(JSON.stringify(values), 'utf8'), aadOf(meta)) }
      : {
          valuesOmitted: {
            keys: names,
            reason: 'HWAYO_CODEC_KEYS is not set on the worker: the values are only in the cluster',
          },
        }),
  };
}

/** Restore: the Secret as it was listed, from its backup form (needs a key of the ring that encrypted it). */
export function openProtectedSecret(item: Item, keys: CodecKey[]): Item {
  const { encryptedData, ...rest } = item as Item & { encryptedData?: Envelope };
  if (item.kind !== 'Secret' || !encryptedData) throw new Error('not an encrypted Secret of a backup');
  const values = JSON.parse(open(keys, encryptedData, aadOf(rest.metadata as Meta)).toString('utf8')) as Item;
  return { ...rest, ...values };
}
