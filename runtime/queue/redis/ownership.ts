import type Redis from 'ioredis'
import { GROUP, Subscription } from './entries'
import type { QueueKeys } from './keys'
import type { PartitionLeases } from './leases'
import { claimScript, handOverScript } from './scripts'

/** Pending entries one claim takes over per stream; the rest wait for the next renewal. */
const CLAIM_BUDGET = 10_000
/** What a clean stop marks its pending entries idle for: far above any claimIdleMs, so they are claimed at once. */
const HANDED_OVER_IDLE_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Which of its leased partitions a process reads: those it has taken over completely (claimed what other consumers
 * left pending in them) and is not giving up. Keeps the process at its share of the partitions.
 */
export class PartitionOwnership {
  /** Partitions whose streams no other consumer has pending entries in any more: they may be read. */
  private readonly claimed = new Set<number>()
  /** Partitions beyond this process's share: not read, and given up once nothing of theirs is handed out. */
  private readonly releasing = new Set<number>()

  constructor(
    private readonly redis: Redis,
    private readonly leases: PartitionLeases,
    /** What this process holds of each subscription, shared with the queue that reads it. */
    private readonly subscriptions: Map<string, Subscription>,
    private readonly keys: QueueKeys,
    private readonly consumer: string,
    private readonly claimIdleMs: number
  ) {}

  /** Partitions that may be read now: leased and trusted, taken over completely, and not being given up. */
  readable(): number[] {
    return this.leases.held().filter((p) => this.claimed.has(p) && !this.releasing.has(p))
  }

  async balance(): Promise<void> {
    const live = await this.leases.heartbeat()
    for (const partition of await this.leases.renew()) this.forget(partition)
    const share = this.leases.share(live)
    const active = () => this.leases.leased().filter((p) => !this.releasing.has(p))
    // Partitions being given up come back first: they need no claim.
    for (const partition of [...this.releasing].slice(0, Math.max(0, share - active().length))) {
      this.releasing.delete(partition)
    }
    const surplus = active().length - share
    if (surplus < 0) {
      for (const partition of await this.leases.acquire(-surplus)) this.forget(partition)
    } else if (surplus > 0) {
      const quietest = active().sort((a, b) => this.handedIn(a) - this.handedIn(b))
      for (const partition of quietest.slice(0, surplus)) this.giveUp(partition)
    }
    for (const partition of this.releasing) if (this.handedIn(partition) === 0) await this.handOver(partition)
  }

  /** Claims what other consumers left pending in the partitions taken, before any of them is read. */
  async claim(): Promise<void> {
    const unclaimed = this.leases.held().filter((p) => !this.claimed.has(p))
    if (unclaimed.length === 0) return
    const subscriptions = await this.redis.smembers(this.keys.named('subscriptions'))
    for (const partition of unclaimed) {
      const done = await claimScript.run(
        this.redis,
        subscriptions.map((subscription) => this.keys.stream(subscription, partition)),
        [GROUP, this.consumer, this.claimIdleMs, CLAIM_BUDGET]
      )
      if (done === 1 && this.leases.leased().includes(partition)) this.claimed.add(partition)
    }
  }

  private handedIn(partition: number): number {
    let count = 0
    for (const state of this.subscriptions.values()) {
      for (const entry of state.handed.values()) if (entry.partition === partition) count++
    }
    return count
  }

  /**
   * Stops reading a partition; what it buffered stays pending for this consumer, handed over with the lease. Should
   * the partition come back before it is handed over, its reading starts over from this consumer's pending entries.
   */
  private giveUp(partition: number): void {
    this.releasing.add(partition)
    for (const state of this.subscriptions.values()) {
      state.buffered.delete(partition)
      state.cursors.delete(partition)
    }
  }

  /**
   * Gives a partition to whoever takes it next: its pending entries are marked long idle, so they are claimed at
   * once, except those still handed out (a stop before their delivery ended), which wait out claimIdleMs as if
   * this process had died, so that a delivery still under way is not repeated at once.
   */
  private async handOver(partition: number): Promise<void> {
    const subscriptions = await this.redis.smembers(this.keys.named('subscriptions'))
    await handOverScript.run(
      this.redis,
      subscriptions.map((subscription) => this.keys.stream(subscription, partition)),
      [GROUP, this.consumer, HANDED_OVER_IDLE_MS]
    )
    for (const [name, state] of this.subscriptions) {
      const ids = [...state.handed.values()].filter((entry) => entry.partition === partition).map((entry) => entry.id)
      if (ids.length > 0) {
        await this.redis.call('XCLAIM', [this.keys.stream(name, partition), GROUP, this.consumer, 0, ...ids, 'JUSTID'])
      }
    }
    await this.leases.release(partition)
    this.forget(partition)
  }

  /** Drops what this process knew of a partition it no longer holds, or has just taken. */
  private forget(partition: number): void {
    this.claimed.delete(partition)
    this.releasing.delete(partition)
    for (const state of this.subscriptions.values()) {
      state.buffered.delete(partition)
      state.cursors.delete(partition)
    }
  }

  /** Gives every partition up at a clean stop (see `handOver`). */
  async leave(): Promise<void> {
    // Renewed first: a partition whose lease lapsed may be another's now, and its entries are not ours to mark.
    for (const partition of await this.leases.renew()) this.forget(partition)
    for (const partition of this.leases.leased()) await this.handOver(partition)
    await this.leases.leave()
  }
}
