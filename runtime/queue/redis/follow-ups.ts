import type Redis from 'ioredis'
import type { DeadLetterInput } from '..'
import { StoreWriteError } from '..'
import {
  byStart,
  FINISHED_KEPT,
  FinishedImport,
  FollowUp,
  FollowUpEnd,
  FollowUpKey,
  followUpId,
  FollowUpProgress,
  FollowUpRow,
  ImportFollowUps
} from '../follow-ups'
import { connectQueueRedis } from './connection'
import { letterFields } from './dead-letters'
import { QueueKeys } from './keys'
import { LETTERS_LUA, LuaScript } from './scripts'

/**
 * The follow-ups of a queue in Redis, shared by the runtimes on it: a hash of the imports being followed (JSON of
 * each, by `followUpId`), a list of each one's rows, a stream of the last FINISHED_KEPT finished ones, and a lease
 * per import, so that one runtime at a time polls it. The settle script records them (see scripts.ts); the row
 * lists count in the queue's bytes, as the events did in their streams.
 */

/**
 * Merges what a poll saw into a follow-up, if it is still there. KEYS[1] the hash; ARGV[1] the follow-up's ID,
 * ARGV[2] the progress as JSON.
 */
const progressScript = new LuaScript(`
local found = redis.call('HGET', KEYS[1], ARGV[1])
if not found then return 0 end
local followUp = cjson.decode(found)
for name, value in pairs(cjson.decode(ARGV[2])) do followUp[name] = value end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(followUp))
return 1
`)

/**
 * KEYS[1] the lease, KEYS[2] the follow-ups; ARGV[1] this runtime, ARGV[2] the lease's length (ms), ARGV[3] the
 * follow-up's ID. 1 when this runtime holds the lease now; 0 when another does, or the follow-up is gone.
 */
const claimScript = new LuaScript(`
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then return 0 end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

/**
 * Finishes a follow-up, if it is still there. KEYS[1] the hash, KEYS[2] its rows, KEYS[3] the dead letters, KEYS[4]
 * the dead-letter counter, KEYS[5] the byte counter, KEYS[6] the finished stream, KEYS[7] its lease. ARGV[1] its ID,
 * ARGV[2] its report (JSON), ARGV[3] how many finished to keep, ARGV[4] the number of dead letters, then per letter
 * its number of fields and its fields and values. Returns -1 when it was gone, else the bytes used.
 */
const finishScript = new LuaScript(`${LETTERS_LUA}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
local delta = 0
for _, row in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do delta = delta - #row end
redis.call('DEL', KEYS[2], KEYS[7])
redis.call('HDEL', KEYS[1], ARGV[1])
local at = 5
for _ = 1, tonumber(ARGV[4]) do
  local bytes
  at, bytes = addLetter(KEYS[3], KEYS[4], at)
  delta = delta + bytes
end
redis.call('XADD', KEYS[6], 'MAXLEN', ARGV[3], '*', 'report', ARGV[2])
return addBytes(KEYS[5], delta)
`)

/** The keys of the follow-ups under a queue's prefix. */
export const followUpKeys = (keys: QueueKeys) => ({
  followUps: keys.named('imports'),
  finished: keys.named('imports-finished'),
  rows: (id: string) => keys.named(`import-rows:${id}`),
  lease: (id: string) => keys.named(`import-lease:${id}`)
})

/** What the `imports` command reads: beside the runtimes, joining none of them. */
export interface FollowUpReader {
  following(): Promise<FollowUp[]>
  finished(): Promise<FinishedImport[]>
}

export class RedisFollowUps implements ImportFollowUps, FollowUpReader {
  private readonly names: ReturnType<typeof followUpKeys>

  constructor(
    private readonly redis: Redis,
    private readonly keys: QueueKeys,
    /** This runtime's name, for the leases; any name for a reader. */
    private readonly consumer: string,
    /** Told the bytes used after a finish, as the queue is after a settle. */
    private readonly measured: (used: number) => void = () => undefined
  ) {
    this.names = followUpKeys(keys)
  }

  async following(): Promise<FollowUp[]> {
    const all = await this.redis.hvals(this.names.followUps)
    return all.map((json) => JSON.parse(json) as FollowUp).sort(byStart)
  }

  async rows(key: FollowUpKey): Promise<FollowUpRow[]> {
    const rows = await this.redis.lrange(this.names.rows(followUpId(key)), 0, -1)
    return rows.map((json) => JSON.parse(json) as FollowUpRow)
  }

  async claim(key: FollowUpKey, leaseMs: number): Promise<boolean> {
    const id = followUpId(key)
    const keys = [this.names.lease(id), this.names.followUps]
    return Number(await claimScript.run(this.redis, keys, [this.consumer, Math.max(1, Math.round(leaseMs)), id])) === 1
  }

  async progress(key: FollowUpKey, progress: FollowUpProgress): Promise<void> {
    try {
      await progressScript.run(this.redis, [this.names.followUps], [followUpId(key), JSON.stringify(progress)])
    } catch (error) {
      throw new StoreWriteError('record a list import', error)
    }
  }

  async finish(key: FollowUpKey, { report, letters }: FollowUpEnd): Promise<boolean> {
    const id = followUpId(key)
    const args: (string | number)[] = [id, JSON.stringify(report), FINISHED_KEPT, letters.length]
    for (const letter of letters) {
      const fields = letterFields(letter as DeadLetterInput, report.finishedAt)
      args.push(fields.length, ...fields.flat())
    }
    let used: number
    try {
      used = Number(
        await finishScript.run(
          this.redis,
          [
            this.names.followUps,
            this.names.rows(id),
            this.keys.named('dead-letters'),
            this.keys.named('dead-letter-ids'),
            this.keys.named('bytes'),
            this.names.finished,
            this.names.lease(id)
          ],
          args
        )
      )
    } catch (error) {
      throw new StoreWriteError('record a list import', error)
    }
    if (used < 0) return false
    this.measured(used)
    return true
  }

  async finished(): Promise<FinishedImport[]> {
    const entries = await this.redis.xrevrange(this.names.finished, '+', '-', 'COUNT', FINISHED_KEPT)
    return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('report') + 1]) as FinishedImport)
  }
}

/**
 * The follow-ups of the queue under `keyPrefix`, for `listrak-actions imports`: it only reads, so it connects without
 * joining the runtimes (no leases, no consumer), and can run beside them.
 */
export async function openRedisFollowUps(
  connection: string,
  keyPrefix: string
): Promise<FollowUpReader & { location: string; close(): Promise<void> }> {
  const { redis, location } = await connectQueueRedis(connection)
  const reader = new RedisFollowUps(redis, new QueueKeys(keyPrefix), 'reader')
  return {
    location: `${location} (keys ${keyPrefix}:*)`,
    following: () => reader.following(),
    finished: () => reader.finished(),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}
