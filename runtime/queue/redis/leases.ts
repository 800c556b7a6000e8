import type Redis from 'ioredis'
import { LuaScript } from './scripts'

export interface LeaseOptions {
  /** The queue's key prefix. */
  prefix: string
  partitions: number
  /** How long a lease lasts unless renewed; a process that dies loses its leases this long after its last renewal. */
  leaseMs: number
  /** This process's name, unique among those sharing the queue. */
  consumer: string
}

/**
 * A lease is only trusted for this share of its length, counted from before the request that took or renewed it:
 * Redis starts the expiry later than that, and the margin covers clocks that run at slightly different rates.
 */
const TRUSTED_SHARE = 0.9

/** Registers the consumer as live until ARGV[2] ms from now (Redis's clock), forgets the lapsed; returns how many. */
const heartbeatScript = new LuaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', now))
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return redis.call('ZCARD', KEYS[1])
`)

/** Takes up to ARGV[3] of the free leases KEYS, in order; returns the 1-based indexes of those taken. */
const acquireScript = new LuaScript(`
local taken = {}
for i, key in ipairs(KEYS) do
  if #taken >= tonumber(ARGV[3]) then break end
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then taken[#taken + 1] = i end
end
return taken
`)

/** Extends each lease of KEYS still held by ARGV[1]; returns 1 for each extended, 0 for each lost. */
const renewScript = new LuaScript(`
local held = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    held[i] = 1
  else
    held[i] = 0
  end
end
return held
`)

const releaseScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

/**
 * The partitions one process holds, as leases in Redis (`<prefix>:lease:<partition>` = the consumer, with an
 * expiry): at most one process holds a partition at a time, and a process that stops renewing loses its leases
 * when they expire. Each process aims at its fair share of the partitions, by the number of live processes, so
 * that a process that joins gets work and a process that dies has its work taken over.
 */
export class PartitionLeases {
  /** Partition → until when (local clock, ms) its lease can be trusted. */
  private readonly until = new Map<number, number>()
  private readonly members: string

  constructor(
    private readonly redis: Redis,
    private readonly options: LeaseOptions
  ) {
    this.members = `${options.prefix}:consumers`
  }

  private key(partition: number): string {
    return `${this.options.prefix}:lease:${partition}`
  }

  /** Partitions whose lease is trusted now: only these may be read. */
  held(now = Date.now()): number[] {
    return [...this.until].filter(([, until]) => until > now).map(([partition]) => partition)
  }

  /** Partitions leased to this process, trusted or waiting for a renewal. */
  leased(): number[] {
    return [...this.until.keys()]
  }

  /** Marks this process live; resolves how many processes are. */
  async heartbeat(): Promise<number> {
    return Number(await heartbeatScript.run(this.redis, [this.members], [this.options.consumer, this.options.leaseMs]))
  }

  /** The partitions this process should hold when `live` processes share them. */
  share(live: number): number {
    return Math.ceil(this.options.partitions / Math.max(1, live))
  }

  /** Extends the leases held; resolves the partitions whose lease was lost (expired, and maybe taken by another). */
  async renew(): Promise<number[]> {
    const partitions = this.leased()
    if (partitions.length === 0) return []
    const sent = Date.now()
    const replies = (await renewScript.run(
      this.redis,
      partitions.map((p) => this.key(p)),
      [this.options.consumer, this.options.leaseMs]
    )) as number[]
    const lost: number[] = []
    partitions.forEach((partition, i) => {
      if (replies[i] === 1) this.until.set(partition, this.trustedFrom(sent))
      else {
        this.until.delete(partition)
        lost.push(partition)
      }
    })
    return lost
  }

  /** Takes up to `count` free partitions; resolves those taken. */
  async acquire(count: number): Promise<number[]> {
    // Each process starts looking at its own place, so that processes starting together rarely try the same keys.
    const start = hashOf(this.options.consumer) % this.options.partitions
    const free = Array.from(
      { length: this.options.partitions },
      (_, i) => (start + i) % this.options.partitions
    ).filter((partition) => !this.until.has(partition))
    if (count <= 0 || free.length === 0) return []
    const sent = Date.now()
    const taken = (await acquireScript.run(
      this.redis,
      free.map((p) => this.key(p)),
      [this.options.consumer, this.options.leaseMs, count]
    )) as number[]
    const partitions = taken.map((index) => free[index - 1])
    for (const partition of partitions) this.until.set(partition, this.trustedFrom(sent))
    return partitions
  }

  /** Gives a partition up: it stops being trusted at once, then its lease is deleted if still this process's. */
  async release(partition: number): Promise<void> {
    this.until.delete(partition)
    await releaseScript.run(this.redis, [this.key(partition)], [this.options.consumer])
  }

  /** Stops counting as live, so that the others take a larger share at once. */
  async leave(): Promise<void> {
    this.until.clear()
    await this.redis.zrem(this.members, this.options.consumer)
  }

  private trustedFrom(sent: number): number {
    return sent + this.options.leaseMs * TRUSTED_SHARE
  }
}

function hashOf(text: string): number {
  let hash = 0
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) >>> 0
  return hash
}
