import { createRequire } from 'node:module'

// The CommonJS build: the runtime delivers through actions-core, which native ESM loads only as CommonJS.
const require = createRequire(import.meta.url)

export const {
  startRuntime,
  createPipeline,
  CheckFailedError,
  configSchema,
  parseConfig,
  loadConfigFile,
  hasCredentials,
  ConfigError,
  checkConfig,
  formatCheck,
  isProblem,
  replay,
  formatSummary,
  createLogger
} = require('../dist/package/runtime.js')
