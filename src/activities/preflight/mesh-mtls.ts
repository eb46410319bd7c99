// Istio mutual TLS is STRICT for the release's blue and green namespaces (../kubernetes/mesh-mtls.ts).
import { checkMeshMtls } from '../kubernetes/mesh-mtls';
import type { CheckRunner } from './check';

/** Istio's default root namespace, where the mesh-wide PeerAuthentication lives. */
export const DEFAULT_MESH_ROOT = 'istio-system';

export const meshMtls: CheckRunner<'mesh-mtls'> = (check, { kube, input }) =>
  checkMeshMtls(
    kube(),
    [input.context.blueNamespace, input.context.greenNamespace],
    check.rootNamespace ?? DEFAULT_MESH_ROOT,
  );
