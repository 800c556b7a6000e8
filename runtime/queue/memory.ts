import type { DeadLetterFile } from './dead-letter-file'
import {
  DeadLetterInput,
  Enqueued,
  Enqueueing,
  EventQueue,
  QueuedEvent,
  Settlement,
  ShuttingDownError,
  StoreWriteError
} from '.'
import { MemoryFollowUps } from './memory-follow-ups'

export interface MemoryQueueOptions {
  dedupWindowMs: number
  dedupMaxEntries: number
}

/**
 * The queue in memory (`--memory`), for tests and demos: what is not delivered when the process dies is lost.
 * Dead letters go to an NDJSON file. It behaves as the durable queue otherwise, dedup window included.
 */
export class MemoryQueue implements EventQueue {
  readonly durable = false
  readonly shared = false
  readonly location = 'memory'
  readonly resumable = new Map<string, number>()
  private readonly lanes = new Map<string, Map<number, QueuedEvent>>()
  /** messageId → when it was enqueued; a Map keeps insertion order, which is time order. */
  private readonly seen = new Map<string, number>()
  private nextPosition = 0
  private closed = false
  readonly imports: MemoryFollowUps

  constructor(
    private readonly deadLetterFile: DeadLetterFile,
    private readonly options: MemoryQueueOptions
  ) {
    this.imports = new MemoryFollowUps((letters) => this.writeLetters(letters))
  }

  async enqueue(items: Enqueueing[], options: { dedup: boolean }): Promise<Enqueued[]> {
    if (this.closed) throw new ShuttingDownError()
    const dedup = options.dedup && this.options.dedupWindowMs > 0
    const now = Date.now()
    if (dedup) this.forgetExpired(now)
    return items.map(({ event, subscriptions }): Enqueued => {
      const id = dedup ? event.messageId : undefined
      if (id) {
        if (this.seen.has(id)) return { duplicate: true }
        this.seen.set(id, now)
      }
      const position = this.nextPosition++
      for (const subscription of subscriptions) {
        let lane = this.lanes.get(subscription)
        if (!lane) this.lanes.set(subscription, (lane = new Map()))
        lane.set(position, { position, event, attempts: 0 })
      }
      return { duplicate: false, position }
    })
  }

  private forgetExpired(now: number): void {
    for (const [id, at] of this.seen) {
      if (now - at < this.options.dedupWindowMs && this.seen.size < this.options.dedupMaxEntries) break
      this.seen.delete(id)
    }
  }

  async read(subscription: string, after: number, limit: number): Promise<QueuedEvent[]> {
    const page: QueuedEvent[] = []
    // Positions below `after` are the few events in the pipeline's window or in flight.
    for (const queued of this.lanes.get(subscription)?.values() ?? []) {
      if (page.length >= limit) break
      if (queued.position > after) page.push(queued)
    }
    return page
  }

  async settle({ subscription, delivered, deadLettered, retried, followUps }: Settlement): Promise<void> {
    if (deadLettered.length > 0) await this.writeLetters(deadLettered.map(({ letter }) => letter))
    const lane = this.lanes.get(subscription)
    for (const position of [...delivered, ...deadLettered.map((d) => d.position)]) lane?.delete(position)
    for (const queued of retried) lane?.set(queued.position, queued)
    if (followUps) this.imports.record(subscription, followUps, new Date().toISOString())
  }

  private async writeLetters(letters: DeadLetterInput[]): Promise<void> {
    const at = new Date().toISOString()
    try {
      await this.deadLetterFile.write(letters.map((letter) => ({ at, messageId: letter.event.messageId, ...letter })))
    } catch (error) {
      throw new StoreWriteError('write dead letters', error)
    }
  }

  hasRoom(): boolean {
    return true
  }

  bytes(): number {
    return 0
  }

  async close(): Promise<void> {
    this.closed = true
    await this.deadLetterFile.close()
  }
}
