/** Projects: pure unit tests, time-skipping workflow tests, and integration tests against the local stack. */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  roots: ['<rootDir>/test'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'workflows',
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
      globalSetup: '<rootDir>/test/workflows/global-setup.ts',
      globalTeardown: '<rootDir>/test/workflows/global-teardown.ts',
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    // Faults injected into whole releases on the local stack (npm run test:chaos; scripts/test.sh runs it last).
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'] },
    // Against the two-node Temporal cluster on PostgreSQL (scripts/stack/up.sh temporal-cluster).
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'] },
    // Not tests: tools run on demand (`npm run histories:record`).
    { ...common, displayName: 'tools', testMatch: ['<rootDir>/test/tools/**/*.tool.ts'] },
    { ...common, displayName: 'bench', roots: ['<rootDir>/bench'], testMatch: ['<rootDir>/bench/**/*.bench.ts'] },
  ],
};
