import { mkdtempSync, readFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import { Writable } from 'stream'
import { parseConfig, RuntimeConfig, RuntimeConfigInput } from '../../runtime/config'
import { startRuntime, Runtime } from '../../runtime'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import type { DeadLetter } from '../../runtime/queue'
import { waitFor } from '../wait'

export { sandboxContacts } from '../sandbox/client'

export const configFile = (name: string) =>
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', name), 'utf8')) as RuntimeConfigInput

type Letter = DeadLetter & { messageId: string; event: Record<string, unknown> }

/**
 * The dead letters of a config's queue: in its store (durable), or in its NDJSON file (in memory). The runtime
 * writes that file with its first dead letter, so a missing file throws rather than reading as "none".
 */
export function readDeadLetters(config: RuntimeConfig): Letter[] {
  if (config.queue.memory) {
    return readFileSync(config.delivery.deadLetterFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Letter)
  }
  // A reader beside the runtime, as `dead-letters list` is: LMDB lets both have the store open.
  const store = new LmdbQueue({ ...config.queue, role: 'reader' })
  try {
    return [...store.deadLetters()] as Letter[]
  } finally {
    void store.close()
  }
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * Starts the runtime on free loopback ports, with its queue store (or, with `queue.memory`, its dead-letter file)
 * in a directory of its own and its log lines captured; stop it with `runtime.stop()`.
 */
export async function startTestRuntime(
  input: RuntimeConfigInput,
  env: NodeJS.ProcessEnv = {},
  options: { check?: boolean } = {}
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runtime-'))
  const config = parseConfig(input, 'test config', env)
  config.ingest.port = 0
  config.delivery = { ...config.delivery, deadLetterFile: path.join(dir, 'dead.ndjson'), ...input.delivery }
  config.queue = { ...config.queue, path: path.join(dir, 'queue'), ...input.queue }
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean))
      done()
    }
  })
  const runtime: Runtime = await startRuntime(config, {
    logger: pino({ level: 'info' }, sink),
    sandboxPort: 0,
    check: options.check
  })
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${runtime.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })
  const deadLetters = () => readDeadLetters(config)
  /**
   * The dead letters once `count` of them are stored. Fails, saying how many it found (or that the dead-letter
   * file was never written), when they are not there within `timeoutMs`.
   */
  const waitForDeadLetters = async (count: number, timeoutMs = 5000) => {
    const seen = await waitFor(
      `${count} dead letter(s)`,
      () => {
        try {
          return deadLetters()
        } catch (error) {
          if (isMissing(error)) return `the dead-letter file ${config.delivery.deadLetterFile} was never written`
          throw error
        }
      },
      (letters) => typeof letters !== 'string' && letters.length >= count,
      { timeoutMs, report: (letters) => (typeof letters === 'string' ? letters : `${letters.length} found`) }
    )
    return seen as Letter[]
  }
  /**
   * The runtime's stats once `events` accepted events are settled (delivered, dead-lettered or unmatched) and
   * nothing is queued; fails, with the last stats, when that does not happen within `timeoutMs`.
   */
  const settled = (events: number, timeoutMs = 5000) =>
    waitFor(
      `${events} event(s) settled and nothing queued`,
      async () => (await (await fetch(`${runtime.url}/stats`)).json()) as Record<string, number>,
      (stats) => stats.delivered + stats.deadLettered + stats.unmatched >= events && stats.queueDepth === 0,
      { timeoutMs }
    )
  return { runtime, config, logs, post, deadLetters, waitForDeadLetters, settled }
}
