import { spawnSync } from 'child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { audienceTrack } from '../engage-events'
import { waitFor } from '../wait'
import { exited, startCli } from './process'

/**
 * The durable store on a disk that fills up, crossing the process boundary: the CLI serves with its store on a
 * 16 MB tmpfs, 4 MB of which a filler file takes.
 *
 * How it gets a small filesystem: `unshare -m` gives the CLI a mount namespace of its own, where a shell mounts
 * the tmpfs, writes the filler and execs node. As root (CI) that needs nothing more; as another user `unshare -rm`
 * maps the user to root in a user namespace too. The mount lives only in that namespace, so it is gone when the
 * CLI exits, however the test ends; the test reaches the files through /proc/<pid>/root.
 */
const SIZE = '16m'
const FILLER_BYTES = 4 * 1024 * 1024
const MOUNT_AND_EXEC =
  'mount -t tmpfs -o size=$0 tmpfs "$1" && head -c $2 /dev/zero > "$1/filler" && shift 2 && exec "$@"'

const isRoot = process.getuid?.() === 0
const namespace = isRoot ? ['unshare', '-m', '--propagation', 'private'] : ['unshare', '-rm']

/** Why a small filesystem cannot be had here, or undefined when it can. */
function smallFilesystemProblem(dir: string): string | undefined {
  const probe = spawnSync(namespace[0], [
    ...namespace.slice(1),
    'sh',
    '-c',
    'mount -t tmpfs -o size=1m tmpfs "$0"',
    dir
  ])
  if (probe.status === 0) return undefined
  return `${namespace.join(' ')} with a tmpfs mount failed (${probe.error?.message ?? probe.stderr.toString().trim()})`
}

const EVENTS_PER_BATCH = 100
const email = (n: number) => `u${n}@example.com`
const event = (n: number) => ({
  ...audienceTrack(email(n), 'my_audience', true),
  messageId: `disk-full-${n}`,
  // About 1.5 KB an event: the disk fills in a few dozen batches.
  properties: { audience_key: 'my_audience', my_audience: true, pad: 'x'.repeat(1200) }
})

describe('serve with its store on a disk that fills up', () => {
  it('answers 503 with Retry-After, counts storeErrors, stays up, and takes events again once space returns', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'disk-full-'))
    const mount = path.join(dir, 'small')
    mkdirSync(mount)
    const problem = smallFilesystemProblem(mount)
    if (problem && isRoot) throw new Error(`As root the test needs a tmpfs mount: ${problem}`)
    if (problem) {
      console.warn(`Not run: no small filesystem can be had without root here: ${problem}. CI runs it as root.`)
      return
    }
    const config = path.join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({
        subscriptions: [
          {
            name: 'audience',
            subscribe: 'context.personas.computation_key = "my_audience"',
            partnerAction: 'updateEmailContactProfileFields',
            mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' }, enable_batching: true }
          }
        ],
        delivery: {
          batchSize: 500,
          flushIntervalMs: 20,
          maxAttempts: 20,
          retryBaseMs: 300,
          retryMaxMs: 1000,
          // A stop, however the test ends, is over within 2 s.
          shutdownTimeoutMs: 2000
        },
        queue: { path: path.join(mount, 'queue') }
      })
    )
    const { child, output } = await startCli(
      ['serve', '--config', config, '--port', '0', '--sandbox-port', '0', '--no-check'],
      /^Stats:/m,
      { launcher: [...namespace, 'sh', '-c', MOUNT_AND_EXEC, SIZE, mount, String(FILLER_BYTES)] }
    )
    try {
      const url = /listening on (http:\/\/\S+)/.exec(output())?.[1] as string
      const sandbox = /embedded Listrak sandbox at (http:\/\/\S+?)\s/.exec(output())?.[1] as string
      // Listrak fails every request for now: nothing is delivered, so the store only grows.
      await fetch(`${sandbox}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ failureRate: 1, failureStatus: 503 })
      })
      const acknowledged = new Set<string>()
      let next = 0
      const post = async () => {
        const numbers = Array.from({ length: EVENTS_PER_BATCH }, () => next++)
        const response = await fetch(`${url}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ batch: numbers.map(event) })
        })
        if (response.status === 200) for (const n of numbers) acknowledged.add(email(n))
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() }
      }

      const full = await waitFor('a batch refused for a full disk', post, (answer) => answer.status !== 200, {
        timeoutMs: 30_000,
        intervalMs: 0,
        report: (answer) => `${answer.status} ${answer.body}`
      })
      expect(full).toMatchObject({ status: 503, retryAfter: '1' })
      expect(full.body).toContain(`free on the filesystem of ${mount}`)
      // The process is still there to answer each request; on a disk this full, a commit may fit now and then.
      let refused = 1
      for (let i = 0; i < 5; i++) {
        const { status } = await post()
        expect([200, 503]).toContain(status)
        if (status === 503) refused++
      }
      expect(child.exitCode).toBeNull()
      const stats = (await (await fetch(`${url}/stats`)).json()) as { storeErrors: number }
      expect(stats.storeErrors).toBeGreaterThanOrEqual(refused)

      rmSync(`/proc/${child.pid}/root${mount}/filler`)
      await waitFor('ingest to take a batch again', post, (answer) => answer.status === 200, {
        timeoutMs: 10_000,
        intervalMs: 50,
        report: (answer) => `${answer.status} ${answer.body}`
      })
      await fetch(`${sandbox}/_sandbox/faults`, { method: 'DELETE' })
      const delivered = await waitFor(
        `the ${acknowledged.size} acknowledged events in the sandbox`,
        async () => {
          const list = (await (await fetch(`${sandbox}/_sandbox/lists/12345/contacts`)).json()) as {
            contacts: { emailAddress: string }[]
          }
          return new Set(list.contacts.map((contact) => contact.emailAddress))
        },
        (emails) => [...acknowledged].every((email) => emails.has(email)),
        { timeoutMs: 30_000, intervalMs: 200, report: (emails) => `${emails.size} contacts` }
      )
      expect(acknowledged.size).toBeGreaterThan(1000)
      expect(delivered.size).toBeGreaterThanOrEqual(acknowledged.size)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toEqual([0, null])
  }, 90_000)
})
