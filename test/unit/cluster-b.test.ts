// The cluster project beside the chaos project (scripts/test.sh) on stores of its own in region b
// (scripts/stack/components/cluster-b.sh): its ports are not the stack's, and test.sh runs it concurrently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (...p: string[]) => readFileSync(join(ROOT, ...p), 'utf8');
const CLUSTER_B = read('scripts', 'stack', 'components', 'cluster-b.sh');
const TEST_SH = read('scripts', 'test.sh');

/** cluster-b's port variables and their values (its PORTS array). */
const clusterPorts = (): Map<string, number> =>
  new Map(
    [.../^PORTS=\(([^)]*)\)/m.exec(CLUSTER_B)![1].matchAll(/(HWAYO_[A-Z_]+_PORT)=(\d+)/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  );

test("each part cluster-b starts again moves off the stack's port, to one nothing else binds", () => {
  const ports = clusterPorts();
  const parts = ['postgres', 'redis', 'moto', 'prometheus'];
  const defaults = new Map<string, number>();
  for (const part of parts) {
    const script = read('scripts', 'stack', 'components', `${part}.sh`);
    for (const m of script.matchAll(/\$\{(HWAYO_[A-Z_]+_PORT):-(\d+)\}/g)) defaults.set(m[1], Number(m[2]));
  }
  // Every port variable of those parts is set by cluster-b, to a value other than the stack's.
  expect([...defaults.keys()].sort()).toEqual([...ports.keys()].sort());
  for (const [name, port] of ports) expect({ name, port }).not.toEqual({ name, port: defaults.get(name) });
  // Not a port of the stack's other components (region a 12525-19101, region b 22379-28082), of the chaos files'
  // workers (23000-25999) or of the tests' processes (30000-31999).
  const stack = new Set(
    [...read('scripts', 'stack', 'components', 'region-b.sh').matchAll(/_PORT=(\d+)/g)].map((m) => Number(m[1])),
  );
  for (const port of ports.values()) {
    expect(stack.has(port)).toBe(false);
    expect(port < 12525 || port > 19101).toBe(true);
    expect(port < 23000 || port > 25999).toBe(true);
    expect(port < 30000 || port > 31999).toBe(true);
  }
  expect(new Set(ports.values()).size).toBe(ports.size);
});

test('test.sh starts the cluster project before the chaos project, in region b, and waits for both', () => {
  // In this order: the cluster's jest run defined, started in the background, chaos run, the cluster waited for.
  const order = [
    'jest_project cluster ',
    'in_group "$CLUSTER_LOG" cluster_work',
    'jest_project chaos ',
    'wait "$cluster_pid"',
  ].map((s) => TEST_SH.indexOf(s));
  expect(order.every((i) => i > 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(TEST_SH).toMatch(/HWAYO_STACK_DIR="\$\{HWAYO_STACK_DIR:-\$REPO\/\.stack\}\/region-b" jest_project cluster /);
  expect(TEST_SH).toContain('bash "$cluster_b" start');
  // Both results count in the last line, and the stack's stop stops cluster-b too.
  expect(TEST_SH).toMatch(/"\$CLUSTER_RESULTS" \\\n\s+\$\{CHAOS_RESULTS:\+"\$CHAOS_RESULTS"\}/);
  expect(read('scripts', 'stack', 'down.sh')).toMatch(/^ALL=\(cluster-b /m);
});
