import { Destination } from '@segment/actions-core'
import type { DestinationDefinition, JSONObject } from '@segment/actions-core'
import type { Logger } from 'pino'
import type { AddressInfo } from 'net'
// The definition under its installed name (one any fast-uri takes), as the package exports it.
import definition from './destination'
import { startSandbox, Sandbox } from '../sandbox'
import { DEFAULT_FIXTURE } from '../sandbox/fixture'
import { checkConfig, CheckNotRunError } from './commands/check'
import { CheckRow, formatCheck, isProblem } from './commands/check/rows'
import { hasCredentials, listrakUrls, RuntimeConfig } from './config'
import { DeadLetterFile } from './queue/dead-letter-file'
import { Deliverer } from './pipeline/delivery'
import { listenProblem } from './ingest/listen-problem'
import { LmdbQueue } from './queue/lmdb/queue'
import { createLogger, forDestination } from './logger'
import { MemoryQueue } from './queue/memory'
import { DrainResult, Pipeline } from './pipeline/pipeline'
import type { EventQueue } from './queue'
import { REDIS_QUEUE_DEFAULTS } from './queue/redis/options'
import { RedisQueue } from './queue/redis/queue'
import { buildServer } from './ingest/server'
import { RuntimeStats } from './stats'
import { startReconcilePass } from './commands/reconcile'
import { compileSubscriptions } from './pipeline/subscriptions'
import { fetchListrakToken, TokenCache } from './pipeline/tokens'
import { ImportFollower } from './imports/follower'

const EMBEDDED_SANDBOX_HISTORY = 200

export interface ListrakConnection {
  /** Set when no credentials were configured and the embedded sandbox stands in for Listrak. */
  sandbox?: Sandbox
  /** The destination settings in use (the sandbox's demo credentials when it stands in). */
  settings: { client_id?: string; client_secret?: string }
  /** The URLs the destination is pointed at: the config's (or the environment's), Listrak's, or the sandbox's. */
  urls: { authUrl: string; apiUrl: string }
  /** Stops the sandbox, if one was started. */
  close(): Promise<void>
}

/**
 * Points the destination at Listrak's URLs from the config, or, when no credentials are given, starts the
 * embedded sandbox and points it there with the sandbox's demo credentials.
 */
export async function connectListrak(
  config: RuntimeConfig,
  options: { sandboxPort?: number } = {}
): Promise<ListrakConnection> {
  const settings = { ...config.settings }
  if (hasCredentials(config)) {
    const urls = listrakUrls(config)
    setListrakUrls(urls)
    return { settings, urls, close: async () => undefined }
  }
  let sandbox: Sandbox
  try {
    // A short history keeps a long replay's memory flat: each recorded import holds all its contacts.
    sandbox = await startSandbox({ port: options.sandboxPort ?? 0, historyLimit: EMBEDDED_SANDBOX_HISTORY })
  } catch (error) {
    throw listenProblem(
      error,
      'The embedded Listrak sandbox',
      "It takes the runtime's port + 1 unless told otherwise: give it another with --sandbox-port (0 picks a free " +
        'one), or stop what holds that port.'
    )
  }
  const urls = { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl }
  setListrakUrls(urls)
  settings.client_id = DEFAULT_FIXTURE.credentials[0].clientId
  settings.client_secret = DEFAULT_FIXTURE.credentials[0].clientSecret
  return { sandbox, settings, urls, close: () => sandbox.stop() }
}

/**
 * The queue the config asks for: the durable store (which it locks), memory with an NDJSON dead-letter file, or
 * Redis Streams shared with other runtimes (which it connects to and checks).
 */
export async function openQueue(config: RuntimeConfig): Promise<EventQueue> {
  const { memory, redis, path, maxBytes, dedupWindowMs, dedupMaxEntries } = config.queue
  if (redis) {
    const { url, keyPrefix, partitions, leaseMs, claimIdleMs } = { ...REDIS_QUEUE_DEFAULTS, ...withoutUndefined(redis) }
    return RedisQueue.open({ connection: url, keyPrefix, partitions, leaseMs, claimIdleMs, maxBytes, dedupWindowMs })
  }
  if (memory)
    return new MemoryQueue(new DeadLetterFile(config.delivery.deadLetterFile), { dedupWindowMs, dedupMaxEntries })
  return new LmdbQueue({ path, maxBytes, dedupWindowMs, dedupMaxEntries, role: 'owner' })
}

export interface PipelineParts extends Omit<ListrakConnection, 'close'> {
  pipeline: Pipeline
  stats: RuntimeStats
  tokens: TokenCache
  queue: EventQueue
  /** Follows the list imports deliveries started; `follower.start()` once the pipeline resumes. */
  follower: ImportFollower
  /**
   * Stops taking events, delivers what is queued for up to `delivery.shutdownTimeoutMs` (or until `interrupt`),
   * stops following list imports (with `waitForImportsMs`, once those this process started have finished, or that
   * long has passed), closes the queue and the sandbox. What is left stays in a durable queue for the next start.
   */
  close(options?: { waitForImportsMs?: number }): Promise<DrainResult>
  /** Cuts a running `close` short: a second signal. */
  interrupt(): void
}

/**
 * Builds the delivery side shared by `serve` and `replay`: Listrak's URLs (or the embedded sandbox when no
 * credentials are given), one token cache, the destination, the subscriptions and the queue. Nothing is
 * delivered until `pipeline.resume()`: events left in a durable queue by an earlier run wait for it.
 */
export async function createPipeline(
  config: RuntimeConfig,
  options: { logger: Logger; sandboxPort?: number }
): Promise<PipelineParts> {
  // Config errors first, before anything is started that would need stopping.
  const subscriptions = compileSubscriptions(config)
  // The store next: a store another runtime holds (or a Redis that cannot serve) stops the start before the
  // sandbox is up.
  const queue = await openQueue(config)
  let listrak: ListrakConnection
  try {
    listrak = await connectListrak(config, { sandboxPort: options.sandboxPort })
  } catch (error) {
    await queue.close()
    throw error
  }
  const { settings } = listrak

  const destination = new Destination<JSONObject>(definition as unknown as DestinationDefinition<JSONObject>)
  // One cache for the process: the start-up check takes its token from it too, so a start costs one token request.
  const tokens = new TokenCache(() => fetchListrakToken(settings))
  const stats = new RuntimeStats()
  stats.queue = { durable: queue.durable, location: queue.location, bytes: () => queue.bytes() }
  const follower = new ImportFollower(queue.imports, tokens, stats, options.logger, {
    ...config.imports,
    durable: queue.durable
  })
  const pipeline = new Pipeline(
    subscriptions,
    new Deliverer(destination, settings, tokens, forDestination(options.logger)),
    queue,
    stats,
    options.logger,
    {
      ...config.delivery,
      pollMs: config.queue.redis?.pollMs ?? REDIS_QUEUE_DEFAULTS.pollMs,
      onFollowUps: (subscription, followUps) => follower.recorded(subscription, followUps)
    }
  )
  let closing: Promise<DrainResult> | undefined
  return {
    pipeline,
    stats,
    tokens,
    queue,
    follower,
    sandbox: listrak.sandbox,
    settings,
    urls: listrak.urls,
    interrupt: () => pipeline.interrupt(),
    close: (closeOptions = {}) =>
      (closing ??= (async () => {
        // The queue and the sandbox close whatever happens; a failed drain is the error to report, if any.
        const drained = await pipeline.drain(config.delivery.shutdownTimeoutMs).catch(async (error: unknown) => {
          await follower.stop()
          await closeInTurn([queue, listrak])
          throw error
        })
        // The follower writes to the queue: it stops first. A failure of its own is logged where it happens.
        await follower.stop(closeOptions.waitForImportsMs)
        const failure = await closeInTurn([queue, listrak])
        if (failure) throw new StopFailedError(drained, failure.error)
        return drained
      })())
  }
}

/** Closes each in turn, the later ones even when an earlier one fails; resolves with the first failure. */
async function closeInTurn(closables: { close(): Promise<void> }[]): Promise<{ error: unknown } | undefined> {
  let failure: { error: unknown } | undefined
  for (const closable of closables) await closable.close().catch((error: unknown) => (failure ??= { error }))
  return failure
}

/** The drain ended (`drained` says how), then closing the queue or the sandbox failed: the stop did not finish. */
export class StopFailedError extends Error {
  constructor(
    readonly drained: DrainResult,
    cause: unknown
  ) {
    super((cause as Error)?.message ?? String(cause), { cause })
  }
}

const withoutUndefined = <T extends object>(object: T) =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T

function setListrakUrls({ authUrl, apiUrl }: { authUrl: string; apiUrl: string }): void {
  // The installed destination and the runtime's own calls read these at each request (runtime/destination/).
  process.env.LISTRAK_AUTH_URL = authUrl
  process.env.LISTRAK_API_URL = apiUrl
}

/** The config check found problems (its message is the check's table), or could not run (its message says why). */
export class CheckFailedError extends Error {
  constructor(
    readonly rows: CheckRow[],
    message = `The config does not fit the Listrak account:\n${formatCheck(rows)}`
  ) {
    super(message)
  }
}

export interface Runtime extends PipelineParts {
  url: string
  logger: Logger
  /** The config check's rows, when it ran. */
  check?: CheckRow[]
  /** Events found in the durable queue at start, delivered in this run. */
  resumed: number
  /**
   * Stops ingest, delivers what was accepted (what is left stays in a durable queue; in memory it is
   * dead-lettered), and returns the final stats. `interrupt()` cuts it short.
   */
  stop(): Promise<ReturnType<RuntimeStats['toJSON']> & { interrupted: boolean }>
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
    try {
      check = await checkConfig(config, parts.settings, undefined, { tokens: parts.tokens })
    } catch (error) {
      await parts.close()
      if (!(error instanceof CheckNotRunError)) throw error
      // Nothing was retried: a start that cannot check stops here, and says how to start without the check.
      throw new CheckFailedError([], `${error.message} Or start with --no-check to serve without the check.`)
    }
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
    throw listenProblem(
      error,
      'The runtime',
      'Give it another with --port or PORT (or ingest.port in the config), or stop what holds that port.'
    )
  }
  const { address, port } = server.server.address() as AddressInfo
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  const resumed = await parts.pipeline.resume()
  parts.follower.start()
  const reconcilePass = startReconcilePass(parts.queue, config, parts.tokens, logger)
  let stopping: ReturnType<Runtime['stop']> | undefined
  return {
    ...parts,
    url,
    logger,
    check,
    resumed,
    stop: () =>
      (stopping ??= (async () => {
        await server.close()
        await reconcilePass?.stop()
        const { interrupted } = await parts.close()
        return { ...parts.stats.toJSON(parts.pipeline.depth), interrupted }
      })())
  }
}
