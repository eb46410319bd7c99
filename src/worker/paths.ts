// Module paths the worker and the bundle script share (resolved from src/ or from dist/src/).
import { join } from 'node:path';

/** Where `npm run build` writes the prebuilt bundle: dist/workflow-bundle.js, next to dist/src. */
export const DEFAULT_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');
export const WORKFLOWS_PATH = require.resolve('../workflows');
export const WORKFLOW_INTERCEPTORS_PATH = require.resolve('./workflow-interceptors');
