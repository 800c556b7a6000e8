import { ChildProcess } from 'child_process'
import Redis from 'ioredis'
import { mkdtempSync } from 'fs'
import os from 'os'
import path from 'path'
import { exited, startCli as start } from '../cli/process'
import { startRedisServer, RedisServer } from '../redis-server'
import { audit, postBatches, runtimeUrl, startLatentSandbox, writeAudienceConfig, stopAll } from './kill-harness'

/**
 * `kill -9` of one of three runtimes sharing one Redis, in the middle of a load posted across them: the real CLI,
 * against the sandbox with Listrak's latency. The two left (and one started in its place) take over its
 * partitions and what it had read but not settled; every event a runtime answered 200 for must reach the sandbox
 * or the dead letters, and how many arrived twice (at-least-once) is reported.
 */

const RUNTIMES = 3
const CLIENTS = 6
const BATCH = 100
const MAX_BATCHES_PER_CLIENT = 25
const KILL_AFTER_MS = 1500
const PARTITIONS = 8
const KEY_PREFIX = '{kill-test}'
/** Well above a drain's time here (a few seconds), so that only a stuck partition fails the test. */
const DRAIN_DEADLINE_MS = 45_000

it('loses no acknowledged event when one of three runtimes sharing Redis is killed with SIGKILL mid-load', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kill-redis-'))
  const redisServer: RedisServer = await startRedisServer({ aof: true })
  const redis = new Redis(redisServer.url)
  const sandbox = await startLatentSandbox()
  const runtimes: ChildProcess[] = []
  try {
    // Short lease and claim times, so that the takeover happens within the test; the claim idle time stays
    // above the longest delivery (the sandbox's latency).
    const config = writeAudienceConfig(path.join(dir, 'config.json'), sandbox, {
      redis: {
        url: redisServer.url,
        keyPrefix: KEY_PREFIX,
        partitions: PARTITIONS,
        leaseMs: 1000,
        claimIdleMs: 2000,
        pollMs: 50
      }
    })
    const serve = async () => {
      const runtime = await start(
        ['serve', '--config', config, '--port', '0', '--no-check', '--redis', redisServer.url],
        /^Stats:/m
      )
      runtimes.push(runtime.child)
      return { ...runtime, url: runtimeUrl(runtime.output()) }
    }
    const started = await Promise.all(Array.from({ length: RUNTIMES }, () => serve()))
    expect(started[0].output()).toMatch(/^Queue: shared, in Redis at redis:\/\/127\.0\.0\.1:\d+ \(keys/m)
    expect(started[0].output()).not.toMatch(/append-only file is off/)

    // The load: clients posting batches of new contacts across the runtimes; those of the killed one stop.
    const acknowledged = new Set<string>()
    const load = Promise.all(
      Array.from({ length: CLIENTS }, (_, c) =>
        postBatches(c, started[c % RUNTIMES].url, MAX_BATCHES_PER_CLIENT, BATCH, acknowledged)
      )
    )
    await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS))
    const killedAfter = acknowledged.size
    started[0].child.kill('SIGKILL')
    await exited(started[0].child)
    // One started in its place, as an orchestrator would.
    const replacement = await serve()
    await load

    // Drained once no stream holds an entry: an entry leaves its stream only when it is settled.
    const left = async () => {
      const lengths = await Promise.all(
        Array.from({ length: PARTITIONS }, (_, p) => redis.xlen(`${KEY_PREFIX}:events:audience:${p}`))
      )
      return lengths.reduce((sum, n) => sum + n, 0)
    }
    // What is left where, for a failure to say: each partition's length, pending entries and lease holder.
    const where = async () => {
      const rows = await Promise.all(
        Array.from({ length: PARTITIONS }, async (_, p) => {
          const stream = `${KEY_PREFIX}:events:audience:${p}`
          const [length, pending, lease] = await Promise.all([
            redis.xlen(stream),
            redis.xpending(stream, 'delivery'),
            redis.get(`${KEY_PREFIX}:lease:${p}`)
          ])
          return `partition ${p}: ${length} left, pending ${JSON.stringify(pending)}, lease ${lease ?? 'none'}`
        })
      )
      const stats = await Promise.all(
        [started[1], started[2], replacement].map(async ({ url }) =>
          JSON.stringify(await (await fetch(`${url}/stats`)).json())
        )
      )
      return [...rows, ...stats].join('\n')
    }
    const deadline = Date.now() + DRAIN_DEADLINE_MS
    while ((await left()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    if ((await left()) > 0) throw new Error(`not drained in ${DRAIN_DEADLINE_MS} ms:\n${await where()}`)
    for (const { child, output } of [started[1], started[2], replacement]) {
      child.kill('SIGTERM')
      expect(await exited(child)).toEqual([0, null])
      expect(output()).toMatch(/^Stopped\. accepted \d+, /m)
    }

    const result = await audit(sandbox, acknowledged, ['--config', config, '--redis', redisServer.url])
    process.stderr.write(
      `kill -9 of 1 of ${RUNTIMES} runtimes on Redis mid-load: acknowledged ${acknowledged.size} ` +
        `(${killedAfter} before the kill), delivered ${result.delivered}, dead-lettered ${result.deadLettered}, ` +
        `lost ${result.lost.length}, delivered twice ${result.duplicates}\n`
    )
    expect(killedAfter).toBeGreaterThan(0)
    expect(result.lost).toEqual([])
  } finally {
    await stopAll(runtimes, sandbox, dir)
    redis.disconnect()
    await redisServer.stop()
  }
}, 90_000)
