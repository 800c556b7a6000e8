import { readdirSync, readFileSync } from 'fs'
import path from 'path'
import { z } from 'zod'
import { LISTRAK_URLS } from '../src/api/urls'
import { ACTION_KEYS } from './pipeline/actions'

const subscriptionSchema = z
  .object({
    name: z.string().min(1),
    /** Segment's subscription FQL, e.g. `context.personas.computation_key = "my_audience"`. */
    subscribe: z.string().min(1),
    /** The action the subscription's events go through; its fields give the mapping's keys and defaults. */
    partnerAction: z.enum(ACTION_KEYS, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not an action of this destination; expected one of ${ACTION_KEYS.join(', ')}`
    }),
    mapping: z.record(z.string(), z.unknown()),
    enabled: z.boolean().default(true)
  })
  .strict()

const port = z.number().int().min(0).max(65535)

/** Left out, each takes its default from REDIS_QUEUE_DEFAULTS (runtime/queue/redis/options.ts) when the queue opens. */
const redisSchema = z
  .object({
    /** redis://[user:password@]host[:port][/db], or rediss:// for TLS. */
    url: z
      .string()
      .min(1)
      .refine((url) => /^rediss?:\/\//.test(url), { message: 'expected a redis:// or rediss:// URL' }),
    /** Every key of the queue starts with it (default `{listrak-actions}`); runtimes sharing a queue use the same. */
    keyPrefix: z.string().min(1).optional(),
    /** Streams per subscription (default 16); fixed for the life of the queue's data: another number is refused. */
    partitions: z.number().int().min(1).max(1024).optional(),
    /** A runtime that dies loses its partitions this long after it last renewed them (default 10 s). */
    leaseMs: z.number().int().min(100).optional(),
    /** What a dead runtime read but did not settle is taken over once idle this long (default 30 s): above a delivery. */
    claimIdleMs: z.number().int().min(100).optional(),
    /** How often a runtime looks for events other runtimes queued in its partitions (default 200 ms). */
    pollMs: z.number().int().min(10).optional()
  })
  .strict()

export const configSchema = z
  .object({
    /** The destination settings; `LISTRAK_CLIENT_ID` / `LISTRAK_CLIENT_SECRET` fill or override them (see parseConfig). */
    settings: z
      .object({ client_id: z.string().min(1).optional(), client_secret: z.string().min(1).optional() })
      .strict()
      .prefault({}),
    /**
     * Listrak's URLs; `LISTRAK_AUTH_URL` / `LISTRAK_API_URL` fill or override them. Without them, Listrak's own, or
     * the embedded sandbox's when no credentials are given.
     */
    listrak: z.object({ authUrl: z.url().optional(), apiUrl: z.url().optional() }).strict().prefault({}),
    subscriptions: z.array(subscriptionSchema).min(1),
    ingest: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(3000),
        /**
         * When set, every route but /health and /health/ready needs it as the HTTP Basic user name, as Segment's API expects; the
         * Tracking API routes also take it as `writeKey` in the body when no Authorization header comes.
         */
        writeKey: z.string().min(1).optional(),
        /** Serving on an address other machines can reach without a write key is refused unless this is set. */
        allowUnauthenticated: z.boolean().default(false),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(500 * 1024),
        maxEventBytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024),
        /** Time a client has to send a whole request, headers and body; slower connections are closed. */
        requestTimeoutMs: z.number().int().positive().default(10_000),
        /** An idle keep-alive connection is closed after this long. */
        keepAliveTimeoutMs: z.number().int().positive().default(5_000)
      })
      .strict()
      .prefault({}),
    delivery: z
      .object({
        /** Events per batch, unless a mapping sets `batch_size`. */
        batchSize: z.number().int().min(1).max(10_000).default(1000),
        flushIntervalMs: z.number().int().min(1).default(1000),
        /** Events waiting for delivery or retry, over all subscriptions; beyond it ingest answers 503. */
        maxQueue: z.number().int().min(1).default(100_000),
        /** Batches (or single events) in flight at once. */
        concurrency: z.number().int().min(1).max(64).default(4),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        retryBaseMs: z.number().int().min(0).default(500),
        retryMaxMs: z.number().int().min(0).default(30_000),
        /** Where the in-memory queue (`queue.memory`) writes dead letters; the durable queue keeps them in its store. */
        deadLetterFile: z.string().min(1).default('dead-letters.ndjson'),
        /**
         * How long a stop waits for deliveries. Then the durable queue keeps what is left for the next start; the
         * in-memory queue dead-letters it. Below Kubernetes' 30 s grace period, so the summary gets printed.
         */
        shutdownTimeoutMs: z.number().int().min(0).default(25_000)
      })
      .strict()
      .prefault({}),
    reconcile: z
      .object({
        /**
         * How long after a message may have been sent `dead-letters reconcile` waits before it takes "no send in
         * Listrak's activity" to mean "not sent". Listrak does not say how soon a send shows there: an hour, to be safe.
         */
        activityDelayMs: z
          .number()
          .int()
          .min(0)
          .default(60 * 60 * 1000),
        /** Added either side of when a message may have been sent, for the clocks of this machine and Listrak's. */
        windowMarginMs: z
          .number()
          .int()
          .min(0)
          .default(5 * 60 * 1000),
        /**
         * A runtime on the LMDB store settles its dead letters of unknown outcome this often, as `dead-letters
         * reconcile` does (0, the default: only the command does). It never sends them again by itself.
         */
        everyMs: z.number().int().min(0).default(0)
      })
      .strict()
      .prefault({}),
    imports: z
      .object({
        /** The first poll of a list import's status comes this long after Listrak took it; each wait then doubles. */
        firstPollMs: z.number().int().min(10).default(1000),
        /** No wait between two polls of an import's status is longer. */
        maxPollMs: z.number().int().min(10).default(60_000),
        /**
         * A list import not completed this long after Listrak took it is reported as never completed: its events are
         * dead-lettered, their outcome unknown. Listrak does not say how long an import may take: an hour, to be safe.
         */
        followUpMaxMs: z
          .number()
          .int()
          .min(1)
          .default(60 * 60 * 1000),
        /** How long `replay`, once its events are delivered, waits for the list imports it started to complete. */
        replayWaitMs: z.number().int().min(0).default(120_000)
      })
      .strict()
      .prefault({})
      .refine((imports) => imports.maxPollMs >= imports.firstPollMs, {
        message: 'imports.maxPollMs is the longest wait between polls: give it at least imports.firstPollMs',
        path: ['maxPollMs']
      }),
    queue: z
      .object({
        /** Keep the queue in memory only (tests, demos): accepted events not yet delivered are lost if the process dies. */
        memory: z.boolean().default(false),
        /** The durable queue's store (a directory), relative to where the command runs; one runtime per store. */
        path: z.string().min(1).default('.listrak-actions/queue'),
        /** Bytes the store may hold (queued events, dead letters, the dedup window); beyond it ingest answers 503. */
        maxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .default(1024 * 1024 * 1024),
        /** An event whose messageId was accepted this recently is not queued again (0 turns dedup off). */
        dedupWindowMs: z
          .number()
          .int()
          .min(0)
          .default(24 * 60 * 60 * 1000),
        /** The dedup window holds at most this many messageIds; the oldest go first. */
        dedupMaxEntries: z.number().int().min(0).default(1_000_000),
        /**
         * Keep the queue in Redis Streams instead, shared by every runtime given the same Redis and keyPrefix (many
         * machines). `maxBytes` and `dedupWindowMs` then count over all of them; `path` is not used.
         */
        redis: redisSchema.optional()
      })
      .strict()
      .prefault({})
      .refine((queue) => !(queue.memory && queue.redis), {
        message: 'queue.memory and queue.redis exclude each other: keep the queue in memory or in Redis, not both',
        path: ['redis']
      })
  })
  .strict()

export type RuntimeConfig = z.output<typeof configSchema>
export type RuntimeConfigInput = z.input<typeof configSchema>
export type SubscriptionConfig = RuntimeConfig['subscriptions'][number]

export class ConfigError extends Error {}

const environmentUrl = z.url()

function urlFromEnvironment(env: NodeJS.ProcessEnv, name: 'LISTRAK_AUTH_URL' | 'LISTRAK_API_URL') {
  const value = env[name]
  if (!value) return {}
  if (!environmentUrl.safeParse(value).success) {
    throw new ConfigError(
      `${name}=${JSON.stringify(value)} is not a URL; give a full URL such as https://…, or unset it.`
    )
  }
  return { [name === 'LISTRAK_AUTH_URL' ? 'authUrl' : 'apiUrl']: value }
}

/**
 * Validates a config; errors name the path of each bad key. LISTRAK_CLIENT_ID, LISTRAK_CLIENT_SECRET,
 * LISTRAK_AUTH_URL and LISTRAK_API_URL win over the file's settings.client_id, settings.client_secret,
 * listrak.authUrl and listrak.apiUrl, which win over Listrak's own URLs: the file is shared (one per pipeline, often
 * checked in) while the environment belongs to one machine or deployment, which is where secrets and
 * per-deployment endpoints (a staging sandbox) are kept. PORT follows the same rule (see `serve`).
 */
export function parseConfig(input: unknown, source = 'config', env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const result = configSchema.safeParse(input)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`)
    throw new ConfigError(`Invalid ${source}:\n${problems.join('\n')}`)
  }
  const config = result.data
  config.settings = {
    ...config.settings,
    ...(env.LISTRAK_CLIENT_ID ? { client_id: env.LISTRAK_CLIENT_ID } : {}),
    ...(env.LISTRAK_CLIENT_SECRET ? { client_secret: env.LISTRAK_CLIENT_SECRET } : {})
  }
  config.listrak = {
    ...config.listrak,
    ...urlFromEnvironment(env, 'LISTRAK_AUTH_URL'),
    ...urlFromEnvironment(env, 'LISTRAK_API_URL')
  }
  if (Boolean(config.settings.client_id) !== Boolean(config.settings.client_secret)) {
    throw new ConfigError(
      `Invalid ${source}: settings.client_id and settings.client_secret go together (or LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET); give both or neither.`
    )
  }
  return config
}

const SHOWN_BEFORE_ERROR = 60
const SHOWN_AFTER_ERROR = 20
/** The characters V8 quotes either side of an unexpected token (see errorPosition). */
const V8_CONTEXT = 10

/**
 * Where JSON.parse stopped, and what it said without the where. Node 20 (V8) says "at position N", except for an
 * unexpected token, where it quotes the text around it instead: the whole text when short, else up to 10
 * characters either side, "..." marking a cut.
 */
function errorPosition(text: string, message: string): { position: number; reason: string } | undefined {
  const at = / at position (\d+)/.exec(message)
  if (at) return { position: Number(at[1]), reason: message.replace(/ at position \d+.*$/s, '') }
  const token = /^(Unexpected token '(.)'), (\.\.\.)?"(.*)"(\.\.\.)? is not valid JSON$/su.exec(message)
  if (!token) return undefined
  const [, reason, character, cutBefore, excerpt, cutAfter] = token
  let position: number
  if (cutBefore && cutAfter) position = text.includes(excerpt) ? text.indexOf(excerpt) + V8_CONTEXT : -1
  else if (cutBefore) position = text.length - excerpt.length + V8_CONTEXT
  else if (cutAfter) position = excerpt.length - V8_CONTEXT
  // The whole text is quoted (it is short): the first such character is the best guess.
  else position = text.indexOf(character)
  return position >= 0 && position <= text.length ? { position, reason } : undefined
}

/**
 * Where JSON.parse stopped, as line and column (from 1), with that line and a caret under the column: a position
 * alone points nowhere a user can see in a config of any size.
 */
export function describeJsonError(text: string, message: string): string {
  const found = errorPosition(text, message)
  if (!found) return message
  const { position, reason } = found
  const lineStart = text.lastIndexOf('\n', position - 1) + 1
  const lineEnd = text.indexOf('\n', position)
  const line = text.slice(0, lineStart).split('\n').length
  const column = position - lineStart + 1
  const source = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).replace(/\r$/, '')
  // A config written on one long line is shown around the column only.
  const from = Math.max(0, column - 1 - SHOWN_BEFORE_ERROR)
  const before = (from > 0 ? '…' : '') + source.slice(from, column - 1)
  const after = source.slice(column - 1, column - 1 + SHOWN_AFTER_ERROR)
  // Tabs stay tabs under the line, so the caret lines up however the terminal shows them.
  const caret = `${before.replace(/[^\t]/g, ' ')}^`
  return `line ${line}, column ${column}: ${reason}\n  ${before}${after}\n  ${caret}`
}

/** A config file that is not there, named with where it was looked for and, given `examples`, what to give instead. */
function missingConfig(file: string, examples?: string): ConfigError {
  const where = path.isAbsolute(file) ? '' : ` (looked for at ${path.resolve(file)})`
  const configs = examples
    ? readdirSync(examples).filter((name) => name.startsWith('config') && name.endsWith('.json'))
    : []
  const remedy =
    configs.length > 0
      ? ` Give the path of yours with --config <file>, or start from one of the example configs in ${examples}: ` +
        `${configs.join(', ')}.`
      : ''
  return new ConfigError(`Config file ${file} does not exist${where}.${remedy}`)
}

/**
 * Reads, parses and validates a config file, the one way every command does. `examples`, the folder of the
 * package's example configs, is named when the file does not exist.
 */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, examples?: string): RuntimeConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingConfig(file, examples)
    throw new ConfigError(`Cannot read config ${file}: ${(error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`Invalid JSON in config ${file}: ${describeJsonError(text, (error as Error).message)}`)
  }
  const config = parseConfig(json, `config ${file}`, env)
  // Relative paths are relative to where the command runs, as users expect of a CLI.
  config.delivery.deadLetterFile = path.resolve(config.delivery.deadLetterFile)
  config.queue.path = path.resolve(config.queue.path)
  return config
}

export const hasCredentials = (config: RuntimeConfig) =>
  Boolean(config.settings.client_id && config.settings.client_secret)

/** The Listrak URLs a config with credentials delivers to: its own (or the environment's), else Listrak's. */
export const listrakUrls = (config: RuntimeConfig) => ({
  authUrl: config.listrak.authUrl ?? LISTRAK_URLS.auth,
  apiUrl: config.listrak.apiUrl ?? LISTRAK_URLS.api
})
