// Gateway API: an HTTPRoute may send traffic to a Service in another namespace only if a ReferenceGrant
// in that namespace allows it (gateways refuse the backend otherwise: ResolvedRefs=False,
// RefNotPermitted). The route lives in its own namespace and green is a new namespace each release,
// so the router makes green's grant before it points any weight at green, and checks an existing one.
import type { KubeClients } from '../../../kubernetes/client';
import { isConflict, isNotFound, kubeCall, kubeCallOptional, kubeFailure } from '../../../kubernetes/errors';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- apiserver JSON */
type Json = any;

const REF = { group: 'gateway.networking.k8s.io', version: 'v1beta1', plural: 'referencegrants' };

/** The grant's name in the backend's namespace: one per route, so two routes never fight over it. */
export const grantName = (routeNamespace: string, routeName: string) =>
  `hwayo-release-${routeNamespace}-${routeName}`.slice(0, 253);

export interface GrantTarget {
  routeNamespace: string;
  routeName: string;
  namespace: string;
  service: string;
}

/** The spec that lets HTTPRoutes of `routeNamespace` reach Service `service` (and nothing else). */
export function grantSpec(t: GrantTarget) {
  return {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: t.routeNamespace }],
    to: [{ group: '', kind: 'Service', name: t.service }],
  };
}

/** Does some entry of an existing grant's spec already allow what `t` needs? (another writer's grant counts) */
export function grantAllows(spec: Json, t: GrantTarget): boolean {
  const from = (spec?.from ?? []).some(
    (f: Json) => f.group === 'gateway.networking.k8s.io' && f.kind === 'HTTPRoute' && f.namespace === t.routeNamespace,
  );
  const to = (spec?.to ?? []).some(
    (x: Json) => (x.group ?? '') === '' && x.kind === 'Service' && (x.name === undefined || x.name === t.service),
  );
  return from && to;
}

/**
 * Makes sure HTTPRoutes of the route's namespace may reference `t.service` in `t.namespace`: nothing to do
 * in the same namespace, or when any grant there already allows it, or when the namespace does not
 * exist; else creates (or repairs) ours.
 * Idempotent: a retry after a crash finds the grant and writes nothing.
 */
export async function ensureReferenceGrant(
  k: KubeClients,
  t: GrantTarget,
): Promise<'same-namespace' | 'present' | 'created' | 'repaired' | 'no-namespace'> {
  if (t.namespace === t.routeNamespace) return 'same-namespace';
  const where = `referencegrants ${t.namespace}`;
  const list = (await kubeCall(`list ${where}`, () =>
    k.custom.listNamespacedCustomObject({ ...REF, namespace: t.namespace }),
  )) as { items?: Json[] };
  if ((list.items ?? []).some((g) => grantAllows(g.spec, t))) return 'present';
  const name = grantName(t.routeNamespace, t.routeName);
  const body = {
    apiVersion: `${REF.group}/${REF.version}`,
    kind: 'ReferenceGrant',
    metadata: { name, namespace: t.namespace, labels: { 'app.kubernetes.io/managed-by': 'hwayo-release' } },
    spec: grantSpec(t),
  };
  const existing: Json = await kubeCallOptional(`get ${where}/${name}`, () =>
    k.custom.getNamespacedCustomObject({ ...REF, namespace: t.namespace, name }),
  );
  if (existing) {
    // Ours but changed by hand (it did not allow the backend): put the needed spec back.
    await kubeCall(`update ${where}/${name}`, () =>
      k.custom.replaceNamespacedCustomObject({
        ...REF,
        namespace: t.namespace,
        name,
        body: { ...body, metadata: { ...existing.metadata, ...body.metadata } },
        fieldManager: k.fieldManager,
      }),
    );
    return 'repaired';
  }
  try {
    await k.custom.createNamespacedCustomObject({ ...REF, namespace: t.namespace, body, fieldManager: k.fieldManager });
  } catch (err) {
    // A concurrent attempt created it first: that is the state we wanted.
    if (isConflict(err)) return 'present';
    // No such namespace (a green already deleted, say by a retried rollback step): no backend to grant.
    if (isNotFound(err)) return 'no-namespace';
    throw kubeFailure(err, `create ${where}/${name}`);
  }
  return 'created';
}
