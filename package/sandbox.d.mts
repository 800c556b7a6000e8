export { startSandbox, DEFAULT_LIMITS, DEFAULT_FIXTURE } from '../dist/package/sandbox.js'
export type { Sandbox, SandboxOptions, Fixture, FixtureInput, Faults, FaultsUpdate } from '../dist/package/sandbox.js'
