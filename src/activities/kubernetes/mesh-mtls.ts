// SEED 3 and 8.2: Istio mutual TLS is STRICT for blue and green. Which policy applies follows Istio's
// precedence: the oldest namespace-wide PeerAuthentication (no selector) in the namespace, else (or when
// its mode is UNSET) the oldest mesh-wide one in the root namespace; with neither, Istio's default PERMISSIVE.
// A workload or port-level setting weaker than STRICT opens a hole inside a STRICT namespace.
import type { CheckResult } from '../contract';
import type { KubeClients } from './client';
import { kubeCall, kubeCallOptional } from './errors';

export interface PeerAuthentication {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string | Date };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    mtls?: { mode?: string };
    portLevelMtls?: Record<string, { mode?: string }>;
  };
}

const PA = { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' } as const;
const modeOf = (p: PeerAuthentication | undefined) => (p?.spec?.mtls?.mode ?? 'UNSET').toUpperCase();
const scopeWide = (p: PeerAuthentication) => Object.keys(p.spec?.selector?.matchLabels ?? {}).length === 0;
const created = (p: PeerAuthentication) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
const oldestWide = (ps: PeerAuthentication[]) =>
  ps
    .filter(scopeWide)
    .sort((a, b) => created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
const weak = (mode: string | undefined) => !['STRICT', 'UNSET'].includes((mode ?? 'UNSET').toUpperCase());

/** The effective mode of `namespace` and what in it is weaker than STRICT. */
export function mtlsCoverage(
  namespace: string,
  inNamespace: PeerAuthentication[],
  inRoot: PeerAuthentication[],
  rootNamespace: string,
): { mode: string; source: string; problems: string[] } {
  const own = oldestWide(inNamespace);
  const mesh = oldestWide(inRoot);
  const [mode, source] =
    own && modeOf(own) !== 'UNSET'
      ? [modeOf(own), `${namespace}/${own.metadata?.name}`]
      : mesh && modeOf(mesh) !== 'UNSET'
        ? [modeOf(mesh), `${rootNamespace}/${mesh.metadata?.name} (mesh-wide)`]
        : ['PERMISSIVE', `no PeerAuthentication in ${namespace} or mesh-wide in ${rootNamespace} (Istio's default)`];
  const problems: string[] = [];
  if (mode !== 'STRICT') problems.push(`${namespace}: mTLS ${mode} from ${source}`);
  for (const p of inNamespace) {
    const name = `${namespace}/${p.metadata?.name}`;
    if (!scopeWide(p) && weak(p.spec?.mtls?.mode))
      problems.push(`${name} sets ${modeOf(p)} for ${JSON.stringify(p.spec?.selector?.matchLabels)}`);
    for (const [port, m] of Object.entries(p.spec?.portLevelMtls ?? {}))
      if (weak(m.mode)) problems.push(`${name} sets ${m.mode} on port ${port}`);
  }
  return { mode, source, problems };
}

async function listIn(k: KubeClients, namespace: string): Promise<PeerAuthentication[]> {
  const r = (await kubeCall(`list peerauthentications in ${namespace}`, () =>
    k.custom.listNamespacedCustomObject({ ...PA, namespace }),
  )) as { items?: PeerAuthentication[] };
  return r.items ?? [];
}

/** A namespace that does not exist yet (green before its release) has no policy of its own. */
const exists = async (k: KubeClients, namespace: string): Promise<boolean> =>
  (await kubeCallOptional(`read namespace ${namespace}`, () => k.core.readNamespace({ name: namespace }))) !==
  undefined;

export async function checkMeshMtls(k: KubeClients, namespaces: string[], rootNamespace: string): Promise<CheckResult> {
  const root = await listIn(k, rootNamespace);
  const results = await Promise.all(
    namespaces.map(async (ns) =>
      mtlsCoverage(ns, (await exists(k, ns)) ? await listIn(k, ns) : [], root, rootNamespace),
    ),
  );
  const problems = results.flatMap((r) => r.problems);
  return {
    name: 'mesh-mtls',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : results.map((r, i) => `${namespaces[i]}: STRICT from ${r.source}`).join('; '),
    data: Object.fromEntries(results.map((r, i) => [namespaces[i], r.mode])),
  };
}
