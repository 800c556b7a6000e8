import { mkdtempSync, readFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import { Writable } from 'stream'
import { parseConfig, RuntimeConfigInput } from '../../runtime/config'
import { startRuntime, Runtime } from '../../runtime'

export const configFile = (name: string) =>
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', name), 'utf8')) as RuntimeConfigInput

/** Starts the runtime on free loopback ports with its log lines captured; stop it with `runtime.stop()`. */
export async function startTestRuntime(
  input: RuntimeConfigInput,
  env: NodeJS.ProcessEnv = {},
  options: { check?: boolean } = {}
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runtime-'))
  const config = parseConfig(input, 'test config', env)
  config.ingest.port = 0
  config.delivery = { ...config.delivery, deadLetterFile: path.join(dir, 'dead.ndjson'), ...input.delivery }
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
  const deadLetters = () => {
    try {
      return readFileSync(config.delivery.deadLetterFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as { messageId: string; reason: string; status: number; event: Record<string, unknown> }
        )
    } catch {
      return []
    }
  }
  /**
   * The dead letters once `count` of them are in the file: the file is written through a stream, after /stats
   * already counts them. Fails, saying how many it found, when they are not there within `timeoutMs`.
   */
  const waitForDeadLetters = async (count: number, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const letters = deadLetters()
      if (letters.length >= count) return letters
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} dead letters within ${timeoutMs} ms, found ${letters.length}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { runtime, config, logs, post, deadLetters, waitForDeadLetters }
}

export async function sandboxContacts(sandboxUrl: string, listId = 12345) {
  const response = await fetch(`${sandboxUrl}/_sandbox/lists/${listId}/contacts`)
  const body = (await response.json()) as { contacts: { emailAddress: string; fields: Record<string, string> }[] }
  return Object.fromEntries(body.contacts.map((c) => [c.emailAddress, c.fields]))
}
