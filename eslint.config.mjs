import tseslint from 'typescript-eslint';

const forbiddenInWorkflows = [
  'fs',
  'http',
  'https',
  'net',
  'child_process',
  'os',
  'path',
  'crypto',
  'dns',
  'tls',
  'zlib',
  'stream',
  'worker_threads',
  'pg',
  'ioredis',
  'nodemailer',
  'prom-client',
  'yaml',
  'undici',
  'axios',
].flatMap((m) => [m, `node:${m}`]);

// What the workflow sandbox loads: the workflows, and the pure halves of the metric providers
// (src/metrics/registry.ts and what it imports). A provider's measure.ts is the worker's.
const SANDBOX_METRICS = [
  'src/metrics/registry.ts',
  'src/metrics/spec.ts',
  'src/metrics/template.ts',
  'src/metrics/*/spec.ts',
];
const noNodeOrIo = forbiddenInWorkflows.map((name) => ({
  name,
  message: 'workflows must be deterministic: no I/O or Node built-ins',
}));
const noClients = { group: ['@kubernetes/*', '@aws-sdk/*'], message: 'workflows must not do I/O; call an activity' };
const workflowSdkOnly = {
  group: ['@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
  message: 'workflow code uses @temporalio/workflow only',
};
const activityTypesOnly = {
  group: ['**/activities', '**/activities/*', '!**/activities/types'],
  allowTypeImports: true,
  message: 'import activities as types only',
};
const noMeasure = {
  group: ['**/measure'],
  message: "a metric provider's measure.ts is the worker's: the sandbox imports spec.ts and registry.ts only",
};
// src/metrics stands below the activities (the plan imports its pure half): nothing in it imports them, not
// even types; the worker hands a measuring half what it needs (MeasureContext).
const belowActivities = {
  group: ['**/activities', '**/activities/*'],
  message: 'src/metrics imports nothing from src/activities: take it from MeasureContext (src/metrics/measure.ts)',
};
const noRestrictedGlobals = [
  'error',
  { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
  { name: 'setInterval', message: 'use sleep()' },
  { name: 'process', message: 'no process in workflows' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at 120; this catches what it leaves: comments. Message strings stay whole so
      // an operator can grep the source for the text they saw.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: noNodeOrIo, patterns: [noClients, workflowSdkOnly, activityTypesOnly, noMeasure] },
      ],
      'no-restricted-globals': noRestrictedGlobals,
    },
  },
  {
    files: SANDBOX_METRICS,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: noNodeOrIo, patterns: [noClients, workflowSdkOnly, belowActivities, noMeasure] },
      ],
      'no-restricted-globals': noRestrictedGlobals,
    },
  },
  {
    files: ['src/metrics/**/*.ts'],
    ignores: SANDBOX_METRICS,
    rules: { 'no-restricted-imports': ['error', { patterns: [belowActivities] }] },
  },
);
