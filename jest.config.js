/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Two workers even on two cores: most suites wait on child processes, servers and timers, not the CPU, so the
  // suite takes about half the time it takes in one process (jest's default there).
  maxWorkers: 2,
  // Every server and retry in a test stops by itself; this only catches a hung test.
  testTimeout: 20000
}
