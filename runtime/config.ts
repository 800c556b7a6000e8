import { readFileSync } from 'fs'
import path from 'path'
import { z } from 'zod'

const subscriptionSchema = z
  .object({
    name: z.string().min(1),
    /** Segment's subscription FQL, e.g. `context.personas.computation_key = "my_audience"`. */
    subscribe: z.string().min(1),
    partnerAction: z.literal('updateEmailContactProfileFields'),
    mapping: z.record(z.string(), z.unknown()),
    enabled: z.boolean().default(true)
  })
  .strict()

const port = z.number().int().min(0).max(65535)

/** Left out, each takes its default from REDIS_QUEUE_DEFAULTS (runtime/redis-queue.ts) when the queue opens. */
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
    /** The destination settings; `LISTRAK_CLIENT_ID` / `LISTRAK_CLIENT_SECRET` fill or override them. */
    settings: z
      .object({ client_id: z.string().min(1).optional(), client_secret: z.string().min(1).optional() })
      .strict()
      .prefault({}),
    /** Listrak's URLs; default to Listrak's own, or to the embedded sandbox when no credentials are given. */
    listrak: z.object({ authUrl: z.url().optional(), apiUrl: z.url().optional() }).strict().prefault({}),
    subscriptions: z.array(subscriptionSchema).min(1),
    ingest: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(3000),
        /**
         * When set, every route but /health needs it as the HTTP Basic user name, as Segment's API expects; the
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

/** Validates a config; errors name the path of each bad key. Credentials come from the environment too. */
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
  if (Boolean(config.settings.client_id) !== Boolean(config.settings.client_secret)) {
    throw new ConfigError(
      `Invalid ${source}: settings.client_id and settings.client_secret go together (or LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET); give both or neither.`
    )
  }
  return config
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new ConfigError(`Cannot read config ${file}: ${(error as Error).message}`)
  }
  const config = parseConfig(json, `config ${file}`, env)
  // Relative paths are relative to where the command runs, as users expect of a CLI.
  config.delivery.deadLetterFile = path.resolve(config.delivery.deadLetterFile)
  config.queue.path = path.resolve(config.queue.path)
  return config
}

export const hasCredentials = (config: RuntimeConfig) =>
  Boolean(config.settings.client_id && config.settings.client_secret)
