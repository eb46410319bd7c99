// Istio PeerAuthentication precedence as the mesh-mtls preflight check reads it (kubernetes/mesh-mtls.ts).
import { mtlsCoverage, type PeerAuthentication } from '../../src/activities/kubernetes/mesh-mtls';

const pa = (
  name: string,
  mode: string | undefined,
  extra: Partial<NonNullable<PeerAuthentication['spec']>> = {},
  at = '2026-01-01T00:00:00Z',
): PeerAuthentication => ({
  metadata: { name, creationTimestamp: at },
  spec: { ...(mode ? { mtls: { mode } } : {}), ...extra },
});
const meshStrict = [pa('default', 'STRICT')];

test('a mesh-wide STRICT policy covers a namespace with none of its own (green before it exists)', () => {
  expect(mtlsCoverage('green', [], meshStrict, 'istio-system')).toEqual({
    mode: 'STRICT',
    source: 'istio-system/default (mesh-wide)',
    problems: [],
  });
});

test("without any policy Istio's default PERMISSIVE applies, and the check says so", () => {
  const r = mtlsCoverage('blue', [], [], 'istio-system');
  expect(r.mode).toBe('PERMISSIVE');
  expect(r.problems).toEqual([
    "blue: mTLS PERMISSIVE from no PeerAuthentication in blue or mesh-wide in istio-system (Istio's default)",
  ]);
});

test("a namespace-wide PERMISSIVE or DISABLE overrides the mesh's STRICT; UNSET inherits it", () => {
  expect(mtlsCoverage('blue', [pa('relax', 'PERMISSIVE')], meshStrict, 'istio-system').problems).toEqual([
    'blue: mTLS PERMISSIVE from blue/relax',
  ]);
  expect(mtlsCoverage('blue', [pa('off', 'DISABLE')], meshStrict, 'istio-system').mode).toBe('DISABLE');
  expect(mtlsCoverage('blue', [pa('inherit', 'UNSET')], meshStrict, 'istio-system').problems).toEqual([]);
  expect(mtlsCoverage('blue', [pa('inherit', undefined)], meshStrict, 'istio-system').problems).toEqual([]);
});

test('a namespace STRICT policy holds under a PERMISSIVE mesh; the oldest namespace-wide policy wins', () => {
  expect(mtlsCoverage('blue', [pa('strict', 'STRICT')], [pa('default', 'PERMISSIVE')], 'istio-system').mode).toBe(
    'STRICT',
  );
  const older = pa('a-older', 'PERMISSIVE', {}, '2025-01-01T00:00:00Z');
  const newer = pa('b-newer', 'STRICT', {}, '2026-01-01T00:00:00Z');
  expect(mtlsCoverage('blue', [newer, older], meshStrict, 'istio-system').source).toBe('blue/a-older');
});

test('a workload policy or a port below STRICT is a hole inside a STRICT namespace', () => {
  const workload = pa('legacy', 'PERMISSIVE', { selector: { matchLabels: { app: 'legacy' } } });
  const port = pa('metrics', 'STRICT', {
    selector: { matchLabels: { app: 'api' } },
    portLevelMtls: { '9090': { mode: 'DISABLE' }, '8080': { mode: 'STRICT' } },
  });
  expect(mtlsCoverage('blue', [workload, port], meshStrict, 'istio-system').problems).toEqual([
    'blue/legacy sets PERMISSIVE for {"app":"legacy"}',
    'blue/metrics sets DISABLE on port 9090',
  ]);
  // A selector-only STRICT policy is no namespace-wide coverage: the mesh's mode still decides.
  const only = pa('api', 'STRICT', { selector: { matchLabels: { app: 'api' } } });
  expect(mtlsCoverage('blue', [only], [], 'istio-system').mode).toBe('PERMISSIVE');
});
