/** Jest runs the TypeScript sources directly as ES modules (ts-jest default-esm). */
export default {
  preset: 'ts-jest/presets/default-esm',
  // node, plus parsed YAML shared by a worker's test files (tests/helpers/test-environment.cjs, yaml-memo.ts)
  testEnvironment: '<rootDir>/tests/helpers/test-environment.cjs',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^yaml$': '<rootDir>/tests/helpers/yaml-memo.ts' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  globalSetup: '<rootDir>/tests/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/tests/helpers/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
