import { Destination } from '@segment/actions-core'
import type { DestinationDefinition, InputField, JSONObject } from '@segment/actions-core'
import type { Logger } from 'pino'
import type { AddressInfo } from 'net'
// The installed package's definition (its name works with any fast-uri); '../package' alone is package.json.
import definition from '../package/index'
import { startSandbox, Sandbox } from '../sandbox'
import { DEFAULT_FIXTURE } from '../sandbox/fixture'
import { checkConfig, CheckRow, formatCheck, isProblem } from './check'
import { hasCredentials, RuntimeConfig } from './config'
import { DeadLetterFile } from './dead-letters'
import { Deliverer } from './delivery'
import { createLogger, forDestination } from './logger'
import { Pipeline } from './pipeline'
import { buildServer } from './server'
import { RuntimeStats } from './stats'
import { compileSubscriptions } from './subscriptions'
import { FetchedToken, TokenCache } from './tokens'

const ACTION = 'updateEmailContactProfileFields'
const EMBEDDED_SANDBOX_HISTORY = 200

export interface PipelineParts {
  pipeline: Pipeline
  stats: RuntimeStats
  tokens: TokenCache
  deadLetters: DeadLetterFile
  /** Set when no credentials were configured and the embedded sandbox stands in for Listrak. */
  sandbox?: Sandbox
  /** The destination settings in use (the sandbox's demo credentials when it stands in). */
  settings: { client_id?: string; client_secret?: string }
  /** Settles everything still queued, closes the dead-letter file and the sandbox. */
  close(): Promise<void>
}

/**
 * Builds the delivery side shared by `serve` and `replay`: Listrak's URLs (or the embedded sandbox when no
 * credentials are given), one token cache, the destination, the subscriptions and the queue.
 */
export async function createPipeline(
  config: RuntimeConfig,
  options: { logger: Logger; sandboxPort?: number }
): Promise<PipelineParts> {
  // Config errors first, before anything is started that would need stopping.
  const subscriptions = compileSubscriptions(config, definition.actions[ACTION].fields as Record<string, InputField>)
  let sandbox: Sandbox | undefined
  const settings = { ...config.settings }
  if (hasCredentials(config)) {
    setListrakUrls(config.listrak.authUrl, config.listrak.apiUrl)
  } else {
    // A short history keeps a long replay's memory flat: each recorded import holds all its contacts.
    sandbox = await startSandbox({ port: options.sandboxPort ?? 0, historyLimit: EMBEDDED_SANDBOX_HISTORY })
    setListrakUrls(sandbox.authUrl, sandbox.apiUrl)
    settings.client_id = DEFAULT_FIXTURE.credentials[0].clientId
    settings.client_secret = DEFAULT_FIXTURE.credentials[0].clientSecret
  }

  const destination = new Destination<JSONObject>(definition as unknown as DestinationDefinition<JSONObject>)
  const tokens = new TokenCache(
    () => destination.refreshAccessToken(settings as never, {} as never) as Promise<FetchedToken>
  )
  const stats = new RuntimeStats()
  const deadLetters = new DeadLetterFile(config.delivery.deadLetterFile)
  const pipeline = new Pipeline(
    subscriptions,
    new Deliverer(destination, settings, tokens, forDestination(options.logger)),
    deadLetters,
    stats,
    options.logger,
    config.delivery
  )
  return {
    pipeline,
    stats,
    tokens,
    deadLetters,
    sandbox,
    settings,
    close: async () => {
      await pipeline.drain(config.delivery.shutdownTimeoutMs)
      await deadLetters.close()
      await sandbox?.stop()
    }
  }
}

function setListrakUrls(authUrl: string | undefined, apiUrl: string | undefined): void {
  // The destination reads these on every request (see src/api/urls.ts).
  if (authUrl) process.env.LISTRAK_AUTH_URL = authUrl
  else delete process.env.LISTRAK_AUTH_URL
  if (apiUrl) process.env.LISTRAK_API_URL = apiUrl
  else delete process.env.LISTRAK_API_URL
}

/** The config check found problems; its message is the check's table. */
export class CheckFailedError extends Error {
  constructor(readonly rows: CheckRow[]) {
    super(`The config does not fit the Listrak account:\n${formatCheck(rows)}`)
  }
}

export interface Runtime extends PipelineParts {
  url: string
  logger: Logger
  /** The config check's rows, when it ran. */
  check?: CheckRow[]
  /** Stops ingest, delivers or dead-letters everything accepted, and returns the final stats. */
  stop(): Promise<ReturnType<RuntimeStats['toJSON']>>
}

/** Starts the runtime: ingest on HTTP, delivery to Listrak (or the embedded sandbox). */
export async function startRuntime(
  config: RuntimeConfig,
  options: { logger?: Logger; sandboxPort?: number; check?: boolean } = {}
): Promise<Runtime> {
  const logger = options.logger ?? createLogger()
  const sandboxPort = options.sandboxPort ?? (config.ingest.port === 0 ? 0 : config.ingest.port + 1)
  const parts = await createPipeline(config, { logger, sandboxPort })
  let check: CheckRow[] | undefined
  if (options.check) {
    check = await checkConfig(config, parts.settings)
    if (check.some(isProblem)) {
      await parts.close()
      throw new CheckFailedError(check)
    }
  }
  const server = buildServer(
    definition as unknown as DestinationDefinition,
    parts.pipeline,
    parts.stats,
    logger,
    config.ingest
  )
  try {
    await server.listen({ host: config.ingest.host, port: config.ingest.port })
  } catch (error) {
    await parts.close()
    throw error
  }
  const { address, port } = server.server.address() as AddressInfo
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  let stopping: Promise<ReturnType<RuntimeStats['toJSON']>> | undefined
  return {
    ...parts,
    url,
    logger,
    check,
    stop: () =>
      (stopping ??= (async () => {
        await server.close()
        await parts.close()
        return parts.stats.toJSON(parts.pipeline.depth)
      })())
  }
}
