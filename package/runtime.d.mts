export {
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
} from '../dist/package/runtime.js'
export type {
  Runtime,
  PipelineParts,
  RuntimeConfig,
  RuntimeConfigInput,
  SubscriptionConfig,
  CheckRow,
  CheckStatus,
  ReplayOptions,
  ReplaySummary
} from '../dist/package/runtime.js'
