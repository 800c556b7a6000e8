import type { SegmentEvent } from '@segment/actions-core'
import type Redis from 'ioredis'
import { DeadLetter, DeadLetterFilter, DeadLetterInput, matchesFilter } from '..'
import { connectQueueRedis } from './connection'

const DEAD_LETTER_PAGE = 500

/** A dead letter as the settle script stores it: a stream entry's fields, dead-lettered `at`. */
export function letterFields(letter: DeadLetterInput, at: string): string[][] {
  return [
    ['subscription', letter.subscription],
    ['status', String(letter.status)],
    ['reason', letter.reason],
    ['attempts', String(letter.attempts)],
    ...(letter.listId === undefined ? [] : [['listId', String(letter.listId)]]),
    ['at', at],
    ...(letter.event.messageId ? [['messageId', letter.event.messageId]] : []),
    ['event', JSON.stringify(letter.event)]
  ]
}

/**
 * The dead letters of the queue under `keyPrefix`, for the `dead-letters` commands: they only read, so they connect
 * without joining the runtimes (no leases, no consumer), and can run beside them.
 */
export async function openRedisDeadLetters(
  connection: string,
  keyPrefix: string
): Promise<{
  location: string
  deadLetters(
    filter?: DeadLetterFilter,
    options?: { newestFirst?: boolean; limit?: number }
  ): AsyncGenerator<DeadLetter>
  close(): Promise<void>
}> {
  const { redis, location } = await connectQueueRedis(connection)
  return {
    location: `${location} (keys ${keyPrefix}:*)`,
    deadLetters: (filter = {}, options = {}) => readDeadLetters(redis, `${keyPrefix}:dead-letters`, filter, options),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}

export async function* readDeadLetters(
  redis: Redis,
  key: string,
  filter: DeadLetterFilter,
  options: { newestFirst?: boolean; limit?: number }
): AsyncGenerator<DeadLetter> {
  let found = 0
  let from = options.newestFirst ? '+' : '-'
  for (;;) {
    const page = options.newestFirst
      ? await redis.xrevrange(key, from, '-', 'COUNT', DEAD_LETTER_PAGE)
      : await redis.xrange(key, from, '+', 'COUNT', DEAD_LETTER_PAGE)
    for (const [id, fields] of page) {
      const letter = letterOf(id, fields)
      if (!matchesFilter(letter, filter)) continue
      yield letter
      if (++found >= (options.limit ?? Infinity)) return
    }
    if (page.length < DEAD_LETTER_PAGE) return
    from = `(${page[page.length - 1][0]}`
  }
}

function letterOf(id: string, flat: string[]): DeadLetter {
  const fields = new Map<string, string>()
  for (let i = 0; i < flat.length; i += 2) fields.set(flat[i], flat[i + 1])
  const listId = fields.get('listId')
  const messageId = fields.get('messageId')
  return {
    id: Number(id.slice(0, id.indexOf('-'))),
    at: fields.get('at') ?? '',
    ...(messageId === undefined ? {} : { messageId }),
    subscription: fields.get('subscription') ?? '',
    status: Number(fields.get('status')),
    reason: fields.get('reason') ?? '',
    attempts: Number(fields.get('attempts')),
    ...(listId === undefined ? {} : { listId: Number(listId) }),
    event: JSON.parse(fields.get('event') ?? 'null') as SegmentEvent
  }
}
