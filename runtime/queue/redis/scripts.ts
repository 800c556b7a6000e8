import { createHash } from 'crypto'
import type Redis from 'ioredis'

/**
 * A Lua script run with EVALSHA, sent whole only when Redis has not cached it yet (after a restart). A script runs
 * alone in Redis, which is what makes each of the queue's steps one transaction across processes; each script
 * checks everything that could refuse it before its first write, so a refusal writes nothing.
 */
export class LuaScript {
  private readonly sha: string

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    // One array argument: a settlement of thousands of events would overflow a spread call's arguments.
    try {
      return await redis.call('EVALSHA', [this.sha, keys.length, ...keys, ...args])
    } catch (error) {
      if (!(error as Error).message?.startsWith('NOSCRIPT')) throw error
      return redis.call('EVAL', [this.source, keys.length, ...keys, ...args])
    }
  }
}

/**
 * Stores events in their streams. KEYS[1] the position counter, KEYS[2] the byte counter, KEYS[3] the set of
 * subscriptions, then dedup keys and streams, which ARGV names by index. ARGV[1] maxBytes, ARGV[2] the dedup window
 * (ms), ARGV[3] the group, ARGV[4] the number of events; then per event: its dedup key's index (0: none), the event
 * as JSON, its number of streams, and per stream the stream's index and its subscription. Returns
 * { 0, bytes used } when the events do not fit, else { 1, bytes used, then per event its position or 0 for a
 * duplicate }. An entry's ID is its position, `<position>-0`: positions come from one counter, so they grow in
 * every stream, and order by ID is order by position.
 */
export const enqueueScript = new LuaScript(`
local maxBytes, window, group = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local items, at, taken, bytes, stored = {}, 5, {}, 0, 0
for i = 1, tonumber(ARGV[4]) do
  local item = { seen = tonumber(ARGV[at]), event = ARGV[at + 1], streams = {} }
  local count = tonumber(ARGV[at + 2])
  at = at + 3
  for s = 1, count do
    item.streams[s] = { key = KEYS[tonumber(ARGV[at])], subscription = ARGV[at + 1] }
    at = at + 2
  end
  if item.seen > 0 then
    local key = KEYS[item.seen]
    item.duplicate = taken[key] or redis.call('EXISTS', key) == 1
    taken[key] = true
  end
  if not item.duplicate then
    bytes = bytes + #item.event * count
    stored = stored + 1
  end
  items[i] = item
end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used + bytes > maxBytes then return { 0, used } end
local position = redis.call('INCRBY', KEYS[1], stored) - stored
local result = { 1, 0 }
for i, item in ipairs(items) do
  if item.duplicate then
    result[i + 2] = 0
  else
    position = position + 1
    result[i + 2] = position
    if item.seen > 0 then redis.call('SET', KEYS[item.seen], '1', 'PX', window) end
    for _, stream in ipairs(item.streams) do
      if redis.call('EXISTS', stream.key) == 0 then
        redis.call('XGROUP', 'CREATE', stream.key, group, '0', 'MKSTREAM')
        redis.call('SADD', KEYS[3], stream.subscription)
      end
      redis.call('XADD', stream.key, string.format('%d-0', position), 'event', item.event)
    end
  end
end
result[2] = redis.call('INCRBY', KEYS[2], bytes)
return result
`)

/**
 * Reads a subscription's entries for one consumer. KEYS[1] the subscription's attempts (entry ID → attempts),
 * then streams. ARGV[1] the group, ARGV[2] the consumer, then per stream a cursor ('>' for entries no consumer
 * has had, or an ID to re-read this consumer's own pending entries after it) and a count. Returns per stream a
 * flat list of ID, event, attempts. A pending entry whose event is gone (removed by hand) is acknowledged away.
 */
export const readScript = new LuaScript(`
local group, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 2, #KEYS do
  local key, cursor, count = KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]
  local found = {}
  if redis.call('EXISTS', key) == 1 then
    local args = { 'XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', key, cursor }
    local reply = redis.pcall(unpack(args))
    if type(reply) == 'table' and reply.err then
      if not string.find(reply.err, 'NOGROUP', 1, true) then return redis.error_reply(reply.err) end
      redis.call('XGROUP', 'CREATE', key, group, '0')
      reply = redis.call(unpack(args))
    end
    if reply then
      for _, entry in ipairs(reply[1][2]) do
        local id, fields = entry[1], entry[2]
        if fields then
          for f = 1, #fields, 2 do
            if fields[f] == 'event' then
              found[#found + 1] = id
              found[#found + 1] = fields[f + 1]
              found[#found + 1] = redis.call('HGET', KEYS[1], id) or '0'
            end
          end
        else
          redis.call('XACK', key, group, id)
        end
      end
    end
  end
  out[i - 1] = found
end
return out
`)

/**
 * Lua shared by the scripts that store dead letters. `addLetter` adds the letter whose field count is ARGV[at], its
 * fields and values following, to the stream under the next number of the counter; it returns where the next
 * argument is, and the bytes of the values. `addBytes` moves the byte counter by `delta`, never below 0, and returns it.
 */
export const LETTERS_LUA = `
local function addLetter(stream, counter, at)
  local count, bytes = tonumber(ARGV[at]), 0
  local add = { 'XADD', stream, string.format('%d-0', redis.call('INCR', counter)) }
  for f = at + 1, at + 2 * count do
    add[#add + 1] = ARGV[f]
    if (f - at) % 2 == 0 then bytes = bytes + #ARGV[f] end
  end
  redis.call(unpack(add))
  return at + 1 + 2 * count, bytes
end
local function addBytes(key, delta)
  local used = redis.call('INCRBY', key, delta)
  if used < 0 then
    redis.call('SET', key, 0)
    used = 0
  end
  return used
end`

/**
 * Records what one delivery decided. KEYS[1] the byte counter, KEYS[2] the subscription's attempts, KEYS[3] the
 * dead letters, KEYS[4] the dead-letter counter, KEYS[5] the list imports being followed up (see follow-ups.ts),
 * then streams and lists of rows. ARGV[1] the group, ARGV[2] the number of operations; per operation 'delivered',
 * 'dead', 'retried' or 'follow', a key's index and an ID: for the first three the stream and the entry's ID, then
 * for 'retried' the attempts, for 'dead' the number of fields and the dead letter's fields and values; for 'follow'
 * the import's list of rows and its ID in KEYS[5], then the import as JSON, the number of rows and each row as JSON.
 * A delivered or dead-lettered entry is acknowledged and deleted, so a stream holds only what is still to deliver.
 * Returns the bytes used.
 */
export const settleScript = new LuaScript(`${LETTERS_LUA}
local group, attempts = ARGV[1], KEYS[2]
local delta, at = 0, 3
for _ = 1, tonumber(ARGV[2]) do
  local kind, key, id = ARGV[at], KEYS[tonumber(ARGV[at + 1])], ARGV[at + 2]
  at = at + 3
  if kind == 'follow' then
    local count = tonumber(ARGV[at + 1])
    local found = redis.call('HGET', KEYS[5], id)
    if found then
      local followUp = cjson.decode(found)
      followUp.rows = followUp.rows + count
      redis.call('HSET', KEYS[5], id, cjson.encode(followUp))
    else
      redis.call('HSET', KEYS[5], id, ARGV[at])
    end
    for r = at + 2, at + 1 + count do
      redis.call('RPUSH', key, ARGV[r])
      delta = delta + #ARGV[r]
    end
    at = at + 2 + count
  elseif kind == 'retried' then
    local entry = redis.call('XRANGE', key, id, id)[1]
    if entry then redis.call('HSET', attempts, id, ARGV[at]) end
    at = at + 1
  else
    local entry = redis.call('XRANGE', key, id, id)[1]
    if entry then
      for f = 1, #entry[2], 2 do
        if entry[2][f] == 'event' then delta = delta - #entry[2][f + 1] end
      end
      redis.call('XDEL', key, id)
    end
    redis.call('XACK', key, group, id)
    redis.call('HDEL', attempts, id)
    if kind == 'dead' then
      local bytes
      at, bytes = addLetter(KEYS[3], KEYS[4], at)
      delta = delta + bytes
    end
  end
end
return addBytes(KEYS[1], delta)
`)

/**
 * Takes over what other consumers left pending in one partition's streams, once it has been idle for ARGV[3] ms,
 * at most about ARGV[4] entries per stream per call. KEYS the partition's streams; ARGV[1] the group, ARGV[2]
 * this consumer. Returns 1 once no other consumer has anything pending there (and forgets those consumers, so
 * groups do not fill with the names of processes long gone), else 0: the caller waits before reading the partition,
 * or newer events of a contact would overtake older ones.
 */
export const claimScript = new LuaScript(`
local group, me, idle, budget = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local done = 1
for _, key in ipairs(KEYS) do
  local summary = redis.pcall('XPENDING', key, group)
  if not summary.err then
    if summary[1] > 0 then
      local cursor, scanned = '0-0', 0
      repeat
        local reply = redis.call('XAUTOCLAIM', key, group, me, idle, cursor, 'COUNT', 100, 'JUSTID')
        cursor, scanned = reply[1], scanned + 100
      until cursor == '0-0' or scanned >= budget
      summary = redis.call('XPENDING', key, group)
    end
    local others = false
    for _, consumer in ipairs(summary[4] or {}) do
      if consumer[1] ~= me then others = true end
    end
    if others then
      done = 0
    else
      for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', key, group)) do
        local fields = {}
        for f = 1, #info, 2 do fields[info[f]] = info[f + 1] end
        if fields.name ~= me and fields.pending == 0 then redis.call('XGROUP', 'DELCONSUMER', key, group, fields.name) end
      end
    end
  end
end
return done
`)

/**
 * Marks this consumer's pending entries in one partition's streams idle for ARGV[3] ms, so that whoever takes the
 * partition next claims them at once instead of waiting out the idle time: how a clean stop hands its partitions
 * over. KEYS the partition's streams; ARGV[1] the group, ARGV[2] this consumer.
 */
export const handOverScript = new LuaScript(`
for _, key in ipairs(KEYS) do
  local start = '-'
  while true do
    local pending = redis.pcall('XPENDING', key, ARGV[1], start, '+', 1000, ARGV[2])
    if pending.err or #pending == 0 then break end
    local claim = { 'XCLAIM', key, ARGV[1], ARGV[2], 0 }
    for _, entry in ipairs(pending) do claim[#claim + 1] = entry[1] end
    claim[#claim + 1] = 'IDLE'
    claim[#claim + 1] = ARGV[3]
    claim[#claim + 1] = 'JUSTID'
    redis.call(unpack(claim))
    start = '(' .. pending[#pending][1]
  end
end
return 1
`)
