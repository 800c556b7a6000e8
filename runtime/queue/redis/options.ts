import type Redis from 'ioredis'

export interface RedisQueueOptions {
  /**
   * A redis:// or rediss:// URL, or an ioredis client the caller set up (Sentinel, TLS files); a client given
   * stays the caller's to close.
   */
  connection: string | Redis
  /**
   * Every key of the queue starts with it, so that several queues can share a Redis. The braces of the default
   * are a hash tag: on a Redis Cluster they would keep all keys in the one slot a script's keys must share.
   */
  keyPrefix: string
  /** Streams per subscription. Fixed for the life of the queue's data: every process must use the same. */
  partitions: number
  /** Bytes of queued events and dead letters, over every process sharing the queue, before ingest answers 503. */
  maxBytes: number
  /** An event whose messageId was enqueued this recently, by any process, is not queued again (0: no dedup). */
  dedupWindowMs: number
  /** A process that dies loses its partitions this long after it last renewed them. */
  leaseMs: number
  /**
   * Events another process read but did not settle are taken over once idle this long. Above the longest a
   * delivery takes, so that a process that only stalled finishes its delivery before another repeats it.
   */
  claimIdleMs: number
  /** This process's name in the consumer groups; it must be unique among the processes. */
  consumer?: string
}

export const REDIS_QUEUE_DEFAULTS = {
  keyPrefix: '{listrak-actions}',
  partitions: 16,
  leaseMs: 10_000,
  claimIdleMs: 30_000,
  /** How often the pipeline reads a shared queue for events other processes enqueued. */
  pollMs: 200
}
