// Module paths the worker and the bundle script share (resolved from src/ or from dist/src/).
import { join } from 'node:path';

/** Where `npm run build` writes the prebuilt bundle: dist/workflow-bundle.js, next to dist/src. */
export const DEFAULT_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');
export const WORKFLOWS_PATH = require.resolve('../workflows');
export const WORKFLOW_INTERCEPTORS_PATH = require.resolve('./workflow-interceptors');

/**
 * Libraries loaded once into the workflow sandbox's shared V8 context instead of once per cached release
 * (the SDK's `preloadModules`): stateless code the deterministic workflow uses (the plan's zod schema
 * library, ed25519 and SHA-2 for approval signatures). Without it, every cached release holds its own
 * instance of each. The SDK deep-freezes them, so a library that kept per-workflow state would throw in
 * the workflow tests rather than leak between releases. Passed to every bundle of the workflows.
 */
// Not the plan's own schema module: zod defines properties on a schema when it first parses, which a
// frozen shared schema refuses (the input tests fail with it preloaded).
export const PRELOADED_WORKFLOW_MODULES = ['zod', '@noble/curves/ed25519', '@noble/hashes/sha2'];
