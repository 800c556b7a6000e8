// The sandbox runs no destination code, so it needs neither actions-core nor the guards of the main entry.
export { startSandbox, DEFAULT_LIMITS } from '../sandbox'
export type { Sandbox, SandboxOptions, Fixture, FixtureInput, Faults, FaultsUpdate } from '../sandbox'
export { DEFAULT_FIXTURE } from '../sandbox/fixture'
