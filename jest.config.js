/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__test__'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/__test__/tsconfig.json' }],
  },
  // Cross-thread tests start workers; keep the 2-core CI machine unloaded.
  maxWorkers: process.env.CI ? 2 : '50%',
  testTimeout: 60_000,
};
