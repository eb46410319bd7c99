// Loaded once into the worker's shared workflow context (src/worker/bundle-options.ts): input
// validation and signature checks, with zod, the plan and policy schemas and @noble, are then built
// once per worker instead of once per cached release. Every module below is stateless at module scope.
//
// The SDK deep-freezes what the shared modules expose. zod writes to its schemas (memoized members)
// and to their patterns (lastIndex) when it parses, so a frozen schema or pattern throws. Freezing
// these modules' exports objects first stops the SDK's walk at them (it skips what is already
// frozen): nothing can be added to or replaced in a shared module, and the schemas stay usable.
// SHARED must list every module of this repository that these import (test/workflows/preload.test.ts).
import { regexes } from 'zod/v4/core';
import * as cloudwatch from '../metrics/cloudwatch/spec';
import * as prometheus from '../metrics/prometheus/spec';
import * as registry from '../metrics/registry';
import * as template from '../metrics/template';
import * as destinations from '../plan/destinations';
import * as duration from '../plan/duration';
import * as errorBudget from '../plan/error-budget';
import * as history from '../plan/history';
import * as metricQueries from '../plan/metric-queries';
import * as publicKeys from '../plan/public-keys';
import * as resolved from '../plan/resolved';
import * as plan from '../plan/schema';
import * as types from '../plan/types';
import * as clusters from '../policy/clusters';
import * as policy from '../policy/schema';
import * as windows from '../policy/windows';
import * as checkpoint from './checkpoint';
import * as input from './input';
import * as signatures from './signatures';

export const SHARED: Readonly<Record<string, object>> = {
  'metrics/cloudwatch/spec': cloudwatch,
  'metrics/prometheus/spec': prometheus,
  'metrics/registry': registry,
  'metrics/template': template,
  'plan/destinations': destinations,
  'plan/duration': duration,
  'plan/error-budget': errorBudget,
  'plan/history': history,
  'plan/metric-queries': metricQueries,
  'plan/public-keys': publicKeys,
  'plan/resolved': resolved,
  'plan/schema': plan,
  'plan/types': types,
  'policy/clusters': clusters,
  'policy/schema': policy,
  'policy/windows': windows,
  'workflows/checkpoint': checkpoint,
  'workflows/input': input,
  'workflows/signatures': signatures,
};
// zod's own patterns (string formats) are reset the same way when a check uses them.
for (const m of [...Object.values(SHARED), regexes]) Object.freeze(m);
