import { ChildProcess, spawn } from 'child_process'
import { once } from 'events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs'
import http from 'http'
import os from 'os'
import path from 'path'
import { audienceEvents } from '../scripts/generate-events'
import { startRedisServer } from '../test/redis-server'
import { FIRST_LIST } from './workloads'

/**
 * I1: how fast the runtime (`listrak-actions serve`, a process of its own) acknowledges events over HTTP, with each
 * queue: the durable store, `--memory`, and Redis Streams (a local redis-server with its append-only file synced
 * every second, Redis' recommended setting). The load comes from this process, over keep-alive connections, while
 * the runtime delivers to the sandbox process; so the figures are those of one 2-core machine doing all three.
 * Prints one JSON line.
 */

export type Backend = 'durable' | 'memory' | 'redis'
export type Route = 'batch' | 'track'

export interface IngestOptions {
  batchEvents: number
  trackEvents: number
  sandbox: { authUrl: string; apiUrl: string }
}

export interface RouteMeasurement {
  route: Route
  events: number
  requests: number
  /** Requests answered other than 200: each would be retried by a Segment library, and none should happen here. */
  refused: number
  wallMs: number
  eventsPerSecond: number
  p50Ms: number
  p99Ms: number
}

export interface IngestMeasurement {
  backend: Backend
  routes: RouteMeasurement[]
  /** From the last acknowledgement to the last delivery, after the /v1/batch load. */
  drainMs: number
  /** The runtime process's peak resident memory (VmHWM). */
  runtimePeakRssMb: number | null
}

const CLI = path.join(__dirname, '..', 'dist', 'cli.js')
/** What Segment's server libraries send per batch, roughly (they flush at 20–500 events or 500 KB). */
const EVENTS_PER_BATCH = 100
const CONNECTIONS: Record<Route, number> = { batch: 8, track: 32 }
const DRAIN_TIMEOUT_MS = 300_000

async function main() {
  const backend = process.argv[2] as Backend
  if (!['durable', 'memory', 'redis'].includes(backend)) throw new Error(`ingest-child: bad backend ${backend}`)
  const options = JSON.parse(process.argv[3]) as IngestOptions
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'))
  const redis = backend === 'redis' ? await startRedisServer({ aof: true, appendfsync: 'everysec' }) : undefined
  let runtime: ChildProcess | undefined
  try {
    const config = path.join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({
        settings: { client_id: 'bench', client_secret: 'bench-secret' },
        listrak: { authUrl: options.sandbox.authUrl, apiUrl: options.sandbox.apiUrl },
        subscriptions: [
          {
            name: 'bench',
            subscribe: 'context.personas.computation_key = "my_audience"',
            partnerAction: 'updateEmailContactProfileFields',
            mapping: { listId: FIRST_LIST, profileFieldValues: { '6789': 'useAudienceKey' } }
          }
        ],
        delivery: { deadLetterFile: path.join(dir, 'dead-letters.ndjson') },
        // Room for the whole load, so that the figures are ingest's and not the bound's 503s.
        queue: { path: path.join(dir, 'queue'), maxBytes: 4 * 2 ** 30 }
      })
    )
    const args = ['serve', '--config', config, '--port', '0', '--no-check']
    if (backend === 'memory') args.push('--memory')
    if (redis) args.push('--redis', redis.url)
    const started = await start(args)
    runtime = started.child
    const measurement: IngestMeasurement = { backend, routes: [], drainMs: 0, runtimePeakRssMb: null }
    let sent = 0
    for (const route of ['batch', 'track'] as Route[]) {
      const events = route === 'batch' ? options.batchEvents : options.trackEvents
      const bodies = requestBodies(route, events, `${backend}-${route}`)
      const result = await load(started.url, route, bodies)
      measurement.routes.push({ ...result, route, events })
      sent += events
      const drained = await drain(started.url, sent)
      if (route === 'batch') measurement.drainMs = Math.round(drained)
    }
    measurement.runtimePeakRssMb = peakRssMb(runtime.pid as number)
    process.stdout.write(`${JSON.stringify(measurement)}\n`)
  } finally {
    if (runtime && runtime.exitCode === null) {
      const exited = once(runtime, 'exit')
      runtime.kill('SIGTERM')
      await exited
    }
    await redis?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 30_000
  while (!/^Stats:/m.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the runtime did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { child, url: /runtime listening on (\S+)/.exec(output)?.[1] as string }
}

/** The request bodies, serialised before the clock starts: each event with a messageId of its own. */
function requestBodies(route: Route, events: number, prefix: string): string[] {
  const all = [
    ...audienceEvents({
      count: events,
      users: Math.max(100, Math.floor(events / 10)),
      audience: 'my_audience',
      identifyShare: 0,
      seed: 7
    })
  ].map((event, i) => ({ ...event, messageId: `${prefix}-${i}` }))
  if (route === 'track') return all.map((event) => JSON.stringify(event))
  const bodies: string[] = []
  for (let i = 0; i < all.length; i += EVENTS_PER_BATCH) {
    bodies.push(JSON.stringify({ batch: all.slice(i, i + EVENTS_PER_BATCH) }))
  }
  return bodies
}

/** Posts every body over a few keep-alive connections; times each request. */
async function load(url: string, route: Route, bodies: string[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS[route] })
  const latencies: number[] = []
  let refused = 0
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]
      const t0 = performance.now()
      const status = await post(agent, `${url}/v1/${route}`, body)
      latencies.push(performance.now() - t0)
      if (status !== 200) refused++
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS[route] }, worker))
  const wallMs = performance.now() - started
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10
  const accepted = (bodies.length - refused) * (route === 'batch' ? EVENTS_PER_BATCH : 1)
  return {
    requests: bodies.length,
    refused,
    wallMs: Math.round(wallMs),
    eventsPerSecond: Math.round((accepted / wallMs) * 1000),
    p50Ms: at(0.5),
    p99Ms: at(0.99)
  }
}

function post(agent: http.Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      },
      (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
      }
    )
    request.on('error', reject)
    request.end(body)
  })
}

/** Waits until the runtime has settled `events` events; resolves how long that took. */
async function drain(url: string, events: number): Promise<number> {
  const started = performance.now()
  const deadline = Date.now() + DRAIN_TIMEOUT_MS
  for (;;) {
    const stats = (await (await fetch(`${url}/stats`)).json()) as { delivered: number; deadLettered: number }
    if (stats.deadLettered > 0) throw new Error(`the runtime dead-lettered ${stats.deadLettered} events`)
    if (stats.delivered >= events) return performance.now() - started
    if (Date.now() > deadline) throw new Error(`the runtime delivered ${stats.delivered} of ${events} events in time`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Linux's record of a process's peak memory; null where there is no /proc. */
function peakRssMb(pid: number): number | null {
  try {
    const line = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return line ? Math.round(Number(line[1]) / 1024) : null
  } catch {
    return null
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
