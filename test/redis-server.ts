import { ChildProcess, spawn, spawnSync } from 'child_process'
import { once } from 'events'
import { mkdtempSync, rmSync } from 'fs'
import net from 'net'
import os from 'os'
import path from 'path'

/**
 * A real redis-server for tests: on loopback, on a free port, in a directory of its own, stopped by the test.
 * Without the binary the tests fail and say how to install it, rather than skip: a skipped queue test proves
 * nothing, and `npm test` runs scripts/ensure-redis.sh first.
 */

const BINARY = process.env.REDIS_SERVER ?? 'redis-server'
const READY = /Ready to accept connections/
const START_TIMEOUT_MS = 5000
const STOP_TIMEOUT_MS = 5000

export interface RedisServer {
  readonly url: string
  readonly port: number
  /** Kills it as a crash would (SIGKILL): only what it had persisted survives. */
  kill(): Promise<void>
  /** Starts it again on the same port and directory, after `kill`. */
  restart(): Promise<void>
  /** Stops it and removes its directory. */
  stop(): Promise<void>
}

export interface RedisServerOptions {
  /** Writes an append-only file, synced on every write, so that a restart keeps everything acknowledged. */
  aof?: boolean
  /** How often the append-only file is synced (default `always`); `everysec` is what Redis recommends. */
  appendfsync?: 'always' | 'everysec'
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireBinary()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-server-'))
  let port = 0
  let child: ChildProcess | undefined
  // A port found free can be taken before redis-server binds it: try another.
  for (let attempt = 0; !child; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, dir, options)
    } catch (error) {
      if (attempt >= 2 || !/already in use/i.test((error as Error).message)) {
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
    }
  }
  const end = async (signal: NodeJS.Signals) => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, 'exit')
    running.kill(signal)
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => end('SIGKILL'),
    restart: async () => {
      if (child) throw new Error('redis-server is still running; kill it first')
      child = await launch(port, dir, options)
    },
    stop: async () => {
      await end('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

function requireBinary(): void {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' })
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      `${BINARY} was not found, and the tests of the Redis queue run against a real one. Install it with ` +
        '`sudo apt-get install redis-server` (Debian, Ubuntu; or run scripts/ensure-redis.sh), or set REDIS_SERVER ' +
        'to its path.'
    )
  }
  if (probe.error) throw new Error(`Cannot run ${BINARY}: ${probe.error.message}`)
}

async function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--logfile', ''],
    ...['--save', ''],
    ...(options.aof
      ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'always']
      : ['--appendonly', 'no'])
  ]
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  // Should the test process end without stopping it, the server ends too.
  const orphan = () => child.kill('SIGKILL')
  process.once('exit', orphan)
  child.once('exit', () => process.removeListener('exit', orphan))
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!READY.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not start on port ${port}:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return child
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
