/** What every project runs with: ts-jest over the TypeScript tests, under Node. */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json']
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'listrak-actions',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/segment/']
    },
    {
      ...shared,
      // The tests that go to Segment's monorepo, with its test setup (nock isolates every test file there).
      displayName: 'segment',
      roots: ['<rootDir>/test/segment'],
      setupFilesAfterEnv: ['<rootDir>/test/segment-setup-after-env.ts'],
      // The snapshot tests import the monorepo's test-data generator, which is not here: `npm run check:segment`
      // runs them in its subset of the monorepo, against the snapshots committed beside them.
      testPathIgnorePatterns: ['/node_modules/', '/snapshot\\.test\\.ts$']
    }
  ],
  // Two workers even on two cores: most suites wait on child processes, servers and timers, not the CPU, so the
  // suite takes about half the time it takes in one process (jest's default there).
  maxWorkers: 2,
  // Every server and retry in a test stops by itself; this only catches a hung test.
  testTimeout: 20000
}
