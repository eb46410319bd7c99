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
    // What the workflow sandbox loads: the workflows, and the pure halves of the metric providers
    // (src/metrics/registry.ts and what it imports). A provider's measure.ts is the worker's.
    files: [
      'src/workflows/**/*.ts',
      'src/metrics/registry.ts',
      'src/metrics/spec.ts',
      'src/metrics/template.ts',
      'src/metrics/*/spec.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows.map((name) => ({
            name,
            message: 'workflows must be deterministic: no I/O or Node built-ins',
          })),
          patterns: [
            { group: ['@kubernetes/*', '@aws-sdk/*'], message: 'workflows must not do I/O; call an activity' },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
              message: 'workflow code uses @temporalio/workflow only',
            },
            {
              group: ['**/activities', '**/activities/*', '!**/activities/types'],
              allowTypeImports: true,
              message: 'import activities as types only',
            },
            {
              group: ['**/measure'],
              message:
                "a metric provider's measure.ts is the worker's: the sandbox imports spec.ts and registry.ts only",
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep()' },
        { name: 'process', message: 'no process in workflows' },
      ],
    },
  },
);
