/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking runs once for the whole project in `npm test` (tsc); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 300000,
  // Before any test file: the AWS SDK's Node.js version warning, once per file otherwise (see the module).
  setupFiles: ['<rootDir>/lambda/local/quiet-sdk-node-warning.ts'],
  // Every core: jest's default (cores - 1) runs every file on one worker on a two-core machine.
  maxWorkers: '100%',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
