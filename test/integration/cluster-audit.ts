// Who wrote what to one cluster, from that kube-apiserver's own audit log (scripts/stack/kube-audit-policy.yaml):
// each request names the credential it came with (for a ServiceAccount token, credential-id JTI=<the token's jti>),
// so the record tells apart two workers that hold tokens of the same ServiceAccount.
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';

export interface AuditWrite {
  at: string;
  verb: string;
  resource: string;
  namespace: string;
  name: string;
  code: number;
  /** The token's jti, or the credential id as the apiserver wrote it (an X.509 client certificate). */
  credential: string;
  username: string;
  /** For a route write: green's weight in the route's main rule as the apiserver stored it. */
  greenWeight?: number;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** The jti of the ServiceAccount token in a kubeconfig scripts/worker-kubeconfig.sh wrote. */
export function tokenJti(kubeconfigFile: string): string {
  const doc = parseYaml(readFileSync(kubeconfigFile, 'utf8')) as { users: { user: { token: string } }[] };
  const payload = doc.users[0].user.token.split('.')[1];
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti: string }).jti;
}

/** The log and its rotated backups (kube-audit-<time>.log), oldest first. */
function auditFiles(log: string): string[] {
  const stem = basename(log, '.log');
  const rotated = readdirSync(dirname(log))
    .filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.log'))
    .sort()
    .map((f) => join(dirname(log), f));
  return [...rotated, ...(existsSync(log) ? [log] : [])];
}

interface Event {
  stage: string;
  verb: string;
  requestReceivedTimestamp: string;
  user?: { username?: string; extra?: Record<string, string[]> };
  responseStatus?: { code?: number };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseObject?: {
    spec?: {
      rules?: { matches?: { headers?: unknown[] }[]; backendRefs?: { namespace?: string; weight?: number }[] }[];
    };
  };
}

/** Every write request (any answer) the apiserver of `log` received between `from` and `to`, in order. */
export async function auditWrites(log: string, from: Date, to: Date, green: string): Promise<AuditWrite[]> {
  const out: AuditWrite[] = [];
  for (const file of auditFiles(log)) {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (!line) continue;
      const e = JSON.parse(line) as Event;
      if (e.stage !== 'ResponseComplete' || !WRITES.has(e.verb)) continue;
      const at = new Date(e.requestReceivedTimestamp);
      if (at < from || at > to) continue;
      const credential = e.user?.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '';
      const rules = e.responseObject?.spec?.rules;
      const main = rules?.find((r) => !(r.matches ?? []).some((m) => m.headers?.length));
      out.push({
        at: e.requestReceivedTimestamp,
        verb: e.verb,
        resource: e.objectRef?.resource ?? '',
        namespace: e.objectRef?.namespace ?? '',
        name: e.objectRef?.name ?? '',
        code: e.responseStatus?.code ?? 0,
        credential: credential.replace(/^JTI=/, ''),
        username: e.user?.username ?? '',
        ...(main ? { greenWeight: main.backendRefs?.find((b) => b.namespace === green)?.weight ?? 0 } : {}),
      });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
