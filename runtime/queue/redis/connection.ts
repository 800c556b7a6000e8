import Redis from 'ioredis'

/** The oldest Redis with what the queue uses: XAUTOCLAIM, and XPENDING's exclusive ranges. */
const MIN_VERSION = [6, 2]

export interface QueueConnection {
  redis: Redis
  /** Opened here, so closed by the queue; a client the caller gave stays the caller's. */
  owned: boolean
  /** The Redis it goes to, without credentials. */
  location: string
  /** Whether Redis writes an append-only file: without it, a Redis restart keeps at most its last snapshot. */
  aof: boolean
  /** Ends an owned connection now, after a failed start. */
  abandon(): void
}

/**
 * Connects to the queue's Redis and checks that the queue can rely on it. Rejects, saying what to change, when
 * Redis cannot be reached, is older than 6.2, or may evict keys.
 */
export async function connectQueueRedis(connection: string | Redis): Promise<QueueConnection> {
  const location = describe(connection)
  const owned = typeof connection === 'string'
  let lastError: Error | undefined
  // At start an unreachable Redis is an error to report, not one to wait out.
  let starting = true
  const redis =
    typeof connection === 'string'
      ? new Redis(connection, {
          lazyConnect: true,
          // A command fails soon while Redis is away: ingest answers 503 and the client retries.
          maxRetriesPerRequest: 1,
          connectTimeout: 5000,
          commandTimeout: 10_000,
          retryStrategy: (times) => (starting ? null : Math.min(times * 200, 2000))
        })
      : connection
  // Connection errors reach callers as rejected commands; the last one says why a first connection failed.
  if (owned) redis.on('error', (error: Error) => (lastError = error))
  // A connection that ended already has nothing to close: disconnecting it would hold the process for 2 s.
  const abandon = () => {
    if (owned && redis.status !== 'end') redis.disconnect()
  }
  try {
    if (owned) await redis.connect()
    const aof = await checkServer(redis)
    starting = false
    return { redis, owned, location, aof, abandon }
  } catch (error) {
    abandon()
    const cause = lastError && (error as Error).message === 'Connection is closed.' ? lastError : (error as Error)
    throw unusable(location, cause.message)
  }
}

/** Why the queue cannot use the Redis at `location`, in the words of the config. */
export function unusable(location: string, reason: string): Error {
  return new Error(`Cannot use Redis at ${location} for the queue (queue.redis): ${reason}`)
}

function describe(connection: string | Redis): string {
  if (typeof connection !== 'string') {
    const { host, port, db } = connection.options
    return `redis://${host}:${port}/${db ?? 0}`
  }
  try {
    const url = new URL(connection)
    return `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : ''}`
  } catch {
    return 'the configured URL'
  }
}

/** Refuses a Redis the queue cannot rely on; resolves whether it writes an append-only file. */
async function checkServer(redis: Redis): Promise<boolean> {
  const info = new Map(
    (await redis.info())
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)])
  )
  const version = info.get('redis_version') ?? '0'
  const [major, minor] = version.split('.').map(Number)
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    throw new Error(`it is Redis ${version}; the queue needs ${MIN_VERSION.join('.')} or later (XAUTOCLAIM).`)
  }
  const policy = info.get('maxmemory_policy') ?? 'noeviction'
  if (policy !== 'noeviction') {
    throw new Error(
      `its maxmemory-policy is ${policy}, so it may evict queued events, leases and the dedup window under ` +
        'memory pressure. Set maxmemory-policy noeviction: a full Redis then refuses events, and ingest answers 503.'
    )
  }
  return info.get('aof_enabled') === '1'
}
