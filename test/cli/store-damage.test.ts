import type { SegmentEvent } from '@segment/actions-core'
import { spawn } from 'child_process'
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync
} from 'fs'
import os from 'os'
import path from 'path'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { CLI, exited, startCli } from './process'

/**
 * A queue store damaged at rest, as the CLI meets it: `serve` refuses it with a message and exit code 2 (LMDB
 * would kill the process with a signal: SIGBUS, SIGSEGV, an assertion's abort), and `store salvage` saves what
 * can be read.
 */

const EVENTS = 3000
const PAGE = 4096
const event = (n: number) =>
  ({
    type: 'track',
    messageId: `m${n}`,
    userId: `u${n}`,
    context: { traits: { email: `u${n}@example.com` } },
    properties: { pad: 'x'.repeat(200) }
  }) as SegmentEvent

const root = mkdtempSync(path.join(os.tmpdir(), 'store-damage-'))
const intact = path.join(root, 'intact')

beforeAll(async () => {
  const queue = new LmdbQueue({ path: intact, maxBytes: 2 ** 30, dedupWindowMs: 0, dedupMaxEntries: 0, role: 'owner' })
  const items = Array.from({ length: EVENTS }, (_, n) => ({ event: event(n), subscriptions: ['fields'] }))
  for (let i = 0; i < EVENTS; i += 100) await queue.enqueue(items.slice(i, i + 100), { dedup: false })
  await queue.close()
})

/** A copy of the intact store, damaged by `damage` (given its data file). */
function damaged(name: string, damage: (file: string) => void): string {
  const dir = path.join(root, name)
  cpSync(intact, dir, { recursive: true })
  damage(path.join(dir, 'data.mdb'))
  return dir
}

function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+')
  writeSync(fd, bytes, 0, bytes.length, offset)
  closeSync(fd)
}

const halved = (file: string) => truncateSync(file, Math.floor(statSync(file).size / 2 / PAGE) * PAGE)
/** Both meta pages (LMDB's header: its two first pages) overwritten past their page header. */
const header = (file: string) => [0, PAGE].forEach((page) => overwrite(file, page + 16, Buffer.alloc(64, 0xff)))
/** A page in the middle wiped, its page number kept: it is found where expected, and is not what it should be. */
function middlePage(file: string): void {
  const page = Math.floor(statSync(file).size / PAGE / 2)
  const wiped = Buffer.alloc(PAGE)
  wiped.writeBigUInt64LE(BigInt(page))
  overwrite(file, page * PAGE, wiped)
}

function configFor(store: string): string {
  const file = path.join(root, `${path.basename(store)}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      subscriptions: [
        {
          name: 'fields',
          subscribe: 'type = "track"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '6789': 'on' } }
        }
      ],
      queue: { path: store }
    })
  )
  return file
}

async function run(args: string[]): Promise<{ code: number | null; signal: string | null; output: string }> {
  // A serve that does start (not what these tests expect) is stopped rather than left running.
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15_000
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const [code, signal] = await exited(child)
  return { code, signal, output }
}

const serve = (store: string) => run(['serve', '--config', configFor(store), '--port', '0', '--no-check'])

describe('serve on a damaged queue store', () => {
  it.each([
    ['truncated to half', halved, 'SIGBUS'],
    ['with its header overwritten', header, 'SIGSEGV'],
    ['with a page in the middle overwritten', middlePage, "Assertion 'IS_LEAF(mp)' failed"]
  ])('refuses a store %s with a message and exit code 2, never a signal', async (name, damage, cause) => {
    const store = damaged(name.replace(/\W+/g, '-'), damage)
    const { code, signal, output } = await serve(store)
    expect({ code, signal }).toEqual({ code: 2, signal: null })
    expect(output).toContain(`The queue store ${store} is damaged, and the runtime does not open it`)
    expect(output).toContain(cause)
    expect(output).toContain(`listrak-actions store salvage --store ${store} --out salvaged.ndjson`)
    expect(output).not.toContain('listening')
  })

  it('refuses a store whose data file was emptied, rather than starting on a fresh one', async () => {
    const store = damaged('emptied', (file) => truncateSync(file, 0))
    const { code, signal, output } = await serve(store)
    expect({ code, signal }).toEqual({ code: 2, signal: null })
    expect(output).toContain(
      `The queue store ${store} has lost its data: data.mdb is empty (0 bytes) while lock.mdb shows the store was in use.`
    )
    expect(output).toContain(`to start with an empty store deliberately, remove ${store}.`)
  })

  it('starts on an intact store and resumes its events', async () => {
    const store = damaged('untouched', () => undefined)
    const { child, output } = await startCli(
      ['serve', '--config', configFor(store), '--port', '0', '--no-check'],
      /^Stats:/m,
      { cwd: root }
    )
    child.kill('SIGTERM')
    expect(await exited(child)).toEqual([0, null])
    expect(output()).toContain(`${EVENTS} event(s) from the last run resumed`)
  })
})

describe('listrak-actions store salvage', () => {
  const saved = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as SegmentEvent).messageId)

  it('saves every event of an intact store, in the order they were accepted, and says the walk completed', async () => {
    const out = path.join(root, 'intact.ndjson')
    const { code, output } = await run(['store', 'salvage', '--store', intact, '--out', out])
    expect(code).toBe(0)
    expect(output).toContain(`Saved ${EVENTS} event(s) from ${intact} to ${out}; the walk completed`)
    expect(saved(out)).toEqual(Array.from({ length: EVENTS }, (_, n) => `m${n}`))
    expect((statSync(out).mode & 0o777).toString(8)).toBe('600')
  })

  it('saves the events before the damage when the damage kills the walk, and says it stopped early', async () => {
    const store = damaged('salvaged', middlePage)
    const out = path.join(root, 'salvaged.ndjson')
    const { code, signal, output } = await run(['store', 'salvage', '--store', store, '--out', out])
    expect({ code, signal }).toEqual({ code: 1, signal: null })
    const ids = saved(out)
    expect(ids.length).toBeGreaterThan(EVENTS / 4)
    expect(ids.length).toBeLessThan(EVENTS)
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, n) => `m${n}`))
    expect(output).toContain(`Saved ${ids.length} event(s) from ${store} to ${out}; the walk stopped early`)
    expect(output).toContain("Assertion 'IS_LEAF(mp)' failed")
  })

  it('leaves out, and counts, events of an at-most-once delivery that was under way', async () => {
    const store = path.join(root, 'in-flight')
    const queue = new LmdbQueue({ path: store, maxBytes: 2 ** 30, dedupWindowMs: 0, dedupMaxEntries: 0, role: 'owner' })
    const [first, second] = await queue.enqueue(
      [0, 1].map((n) => ({ event: event(n), subscriptions: ['messages'] })),
      { dedup: false }
    )
    if (first.duplicate || second.duplicate) throw new Error('nothing is deduplicated here')
    // Stored as being sent (its attempts negated) just before a crash: it may have gone.
    await queue.settle({
      subscription: 'messages',
      delivered: [],
      deadLettered: [],
      retried: [{ position: first.position, event: event(0), attempts: -1 }]
    })
    await queue.close()
    const out = path.join(root, 'in-flight.ndjson')
    const { code, output } = await run(['store', 'salvage', '--store', store, '--out', out])
    expect(code).toBe(0)
    expect(saved(out)).toEqual(['m1'])
    expect(output).toContain('Left out 1 event(s) of at-most-once actions whose delivery was under way')
  })

  it('refuses to write over a file', async () => {
    const out = path.join(root, 'taken.ndjson')
    writeFileSync(out, 'keep me\n')
    const { code, output } = await run(['store', 'salvage', '--store', intact, '--out', out])
    expect(code).toBe(2)
    expect(output).toContain(`${out} exists already`)
    expect(readFileSync(out, 'utf8')).toBe('keep me\n')
  })
})
