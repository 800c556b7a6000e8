import type Redis from 'ioredis'
import { entriesOf, Entry, GROUP, Subscription } from './entries'
import type { QueueKeys } from './keys'
import type { PartitionOwnership } from './ownership'
import { readScript } from './scripts'

/** Reads from Redis for one `read`, at most: each asks every partition for its share of what is missing. */
const READ_ROUNDS = 4

/** Reads a subscription's entries from the partitions this process may read now, and hands them out in order. */
export class PartitionReader {
  constructor(
    private readonly redis: Redis,
    private readonly ownership: PartitionOwnership,
    private readonly keys: QueueKeys,
    private readonly consumer: string,
    private readonly location: string
  ) {}

  /** Reads from Redis until `wanted` entries are buffered or the partitions have no more. */
  async fill(name: string, state: Subscription, wanted: number): Promise<void> {
    const buffered = () => this.ownership.readable().reduce((sum, p) => sum + (state.buffered.get(p)?.length ?? 0), 0)
    for (let round = 0; round < READ_ROUNDS; round++) {
      const partitions = this.ownership.readable()
      const missing = wanted - buffered()
      if (partitions.length === 0 || missing <= 0) return
      const count = Math.ceil(missing / partitions.length)
      const cursors = partitions.map((p) => state.cursors.get(p) ?? '0')
      let reply: string[][]
      try {
        reply = (await readScript.run(
          this.redis,
          [this.keys.attempts(name), ...partitions.map((p) => this.keys.stream(name, p))],
          [GROUP, this.consumer, ...partitions.flatMap((_, i) => [cursors[i], count])]
        )) as string[][]
      } catch (error) {
        throw new Error(`Cannot read queued events from Redis at ${this.location}: ${(error as Error).message}`)
      }
      let more = false
      const stillReadable = new Set(this.ownership.readable())
      partitions.forEach((partition, i) => {
        // Not readable any more (lost, given up, or its lease awaiting renewal): what was read, and what was
        // buffered, stays pending for this consumer. The next holder claims it; should this process read the
        // partition again, it starts over from its own pending entries, or those would stay pending with nobody
        // to deliver them.
        if (!stillReadable.has(partition)) {
          state.cursors.delete(partition)
          state.buffered.delete(partition)
          return
        }
        const entries = entriesOf(reply[i], partition, this.keys.stream(name, partition))
        if (cursors[i] === '>') {
          if (entries.length >= count) more = true
        } else {
          more = true
          state.cursors.set(partition, entries.length === 0 ? '>' : entries[entries.length - 1].id)
        }
        const fresh = entries.filter((entry) => !state.handedIds.has(entry.id))
        if (fresh.length > 0) state.buffered.set(partition, [...(state.buffered.get(partition) ?? []), ...fresh])
      })
      if (!more) return
    }
  }

  /** Takes up to `count` buffered entries of the readable partitions, the lowest positions first. */
  take(state: Subscription, count: number): Entry[] {
    const queues = this.ownership
      .readable()
      .map((p) => state.buffered.get(p))
      .filter((queue): queue is Entry[] => queue !== undefined && queue.length > 0)
    const taken: Entry[] = []
    while (taken.length < count) {
      let next: Entry[] | undefined
      for (const queue of queues) if (queue.length > 0 && (!next || queue[0].position < next[0].position)) next = queue
      if (!next) break
      taken.push(next.shift() as Entry)
    }
    return taken
  }
}
