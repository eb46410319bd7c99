// The workflow bundle's lean settings (src/worker/bundle-options.ts), pinned: every place that builds
// the bundle uses them, so a release's memory (docs/benchmarks.md, capacity) cannot silently regress.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEAN_BUNDLE_OPTIONS, leanWebpackConfig, PRELOAD_MODULES } from '../../src/worker/bundle-options';
import { loadWorkerConfig } from '../../src/worker/config';
import { workflowSource } from '../../src/worker/role';

// start.ts builds the activities too; their Kubernetes client is ESM, which this test does not need.
jest.mock('../../src/activities', () => ({ createActivities: () => ({}) }));
const ROOT = join(__dirname, '..', '..');

test('the bundle is built in production mode, unminified, one module per file, with a small inline source map', () => {
  const config = leanWebpackConfig({ mode: 'development', devtool: 'inline-source-map', optimization: {} });
  expect(config.mode).toBe('production');
  // The SDK reads the source map from the bundle itself: it must stay inline.
  expect(config.devtool).toBe('inline-nosources-cheap-module-source-map');
  expect(config.optimization).toEqual({
    minimize: false,
    concatenateModules: false,
    mangleExports: false,
    moduleIds: 'named',
  });
});

test('validation, schemas and signature checks are preloaded once per worker', () => {
  expect(PRELOAD_MODULES).toEqual([require.resolve('../../src/workflows/preload')]);
  expect(LEAN_BUNDLE_OPTIONS).toEqual({ preloadModules: PRELOAD_MODULES, webpackConfigHook: leanWebpackConfig });
});

test('the prebuilt bundle, a worker bundling from source and the workflow tests all use them', () => {
  const config = loadWorkerConfig([], { HWAYO_KUBE_IN_CLUSTER: 'true', HWAYO_CODEC: 'off' });
  const source = workflowSource({ ...config, workflowBundlePath: undefined });
  if (source.mode === 'source') expect(source.options.bundlerOptions).toBe(LEAN_BUNDLE_OPTIONS);
  else expect(source.options.workflowBundle).toBeDefined(); // a built dist/: the script below made it
  for (const file of ['scripts/bundle-workflows.ts', 'test/workflows/bundle.ts'])
    expect(readFileSync(join(ROOT, file), 'utf8')).toContain('...LEAN_BUNDLE_OPTIONS');
});
