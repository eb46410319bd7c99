// How the workflow bundle is built, everywhere it is built (scripts/bundle-workflows.ts, a worker that
// bundles from source, the workflow tests and benches): lean. With the SDK's reusable V8 context every
// cached release instantiates each bundled module in its own module cache, so what a module builds at
// load time (zod and its locales, the plan and policy schemas, the curve tables) is paid once per live
// release; preloaded modules are instantiated once, in the shared context, and frozen there.
import type { BundleOptions } from '@temporalio/worker';

/** Loaded once per worker into the shared context (what it loads, and why it is safe to share: there). */
export const PRELOAD_MODULES = [require.resolve('../workflows/preload')];

/**
 * Production mode: unused exports dropped, so less built per release. Not minified: class and
 * function names stay as written (failure types, stack traces). The SDK needs an inline source map;
 * a line-only one without the sources is a third of the bundle's size and quicker for the SDK to read
 * (it maps a stack trace for every promise a workflow creates).
 */
export function leanWebpackConfig<
  T extends { mode?: string; devtool?: unknown; optimization?: object; performance?: unknown },
>(config: T): T {
  return {
    ...config,
    mode: 'production',
    // Webpack's size hints are for browsers; a worker loads the bundle once.
    performance: { hints: false },
    devtool: 'inline-nosources-cheap-module-source-map',
    // One module per file, named: the bundle built from src/ for the tests shares and freezes the same
    // modules as the one built from dist/ for the worker (src/workflows/preload.ts).
    optimization: {
      ...config.optimization,
      minimize: false,
      concatenateModules: false,
      mangleExports: false,
      moduleIds: 'named',
    },
  };
}

export const LEAN_BUNDLE_OPTIONS: Pick<BundleOptions, 'preloadModules' | 'webpackConfigHook'> = {
  preloadModules: PRELOAD_MODULES,
  webpackConfigHook: leanWebpackConfig,
};
