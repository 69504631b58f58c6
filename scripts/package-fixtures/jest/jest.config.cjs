// A consumer project's jest set-up. scripts/test-package.mjs runs jest and
// ts-jest from the threadkit checkout (a consumer's devDependencies), so it
// names ts-jest by path; threadkit itself resolves from node_modules here.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.test.ts'],
  transform: { '^.+\\.ts$': [process.env.THREADKIT_TEST_TS_JEST, { tsconfig: '<rootDir>/tsconfig.json' }] },
};
