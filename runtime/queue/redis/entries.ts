import type { SegmentEvent } from '@segment/actions-core'
import type { QueuedEvent } from '..'

/** The consumer group every process reads each stream through. */
export const GROUP = 'delivery'

/** An event as this process holds it: where it is in Redis, and its place in this process's reading order. */
export interface Entry {
  partition: number
  stream: string
  /** The stream entry's ID, `<position>-0`. */
  id: string
  /** The event's position, from the one counter all processes share. */
  position: number
  event: SegmentEvent
  attempts: number
  ticket: number
}

/** What this process holds of one subscription. */
export interface Subscription {
  /** Handed out by `read` and not settled yet, by ticket, in ticket order. */
  handed: Map<number, Entry>
  /** The IDs of the handed out entries, so a re-read of this consumer's pending entries skips them. */
  handedIds: Set<string>
  /** Read from Redis (pending for this consumer) but not handed out yet, per partition, in order. */
  buffered: Map<number, Entry[]>
  /**
   * Per partition, where its next read starts: after an ID while this consumer's own pending entries (those it
   * claimed) are read again, '>' for entries no consumer has had. A partition starts at '0' when taken.
   */
  cursors: Map<number, string>
  /** Reads of a subscription go one at a time, so an entry is never handed out twice. */
  reading: Promise<unknown>
}

/** Entries from the read script's flat reply: ID, event, attempts. */
export function entriesOf(reply: string[], partition: number, stream: string): Entry[] {
  const entries: Entry[] = []
  for (let i = 0; i < reply.length; i += 3) {
    const id = reply[i]
    entries.push({
      partition,
      stream,
      id,
      position: Number(id.slice(0, id.indexOf('-'))),
      event: JSON.parse(reply[i + 1]) as SegmentEvent,
      attempts: Number(reply[i + 2]),
      ticket: -1
    })
  }
  return entries
}

export const queuedOf = (entry: Entry): QueuedEvent => ({
  position: entry.ticket,
  event: entry.event,
  attempts: entry.attempts
})
