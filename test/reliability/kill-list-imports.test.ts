import { ChildProcess, execFile } from 'child_process'
import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { CLI, exited, startCli } from '../cli/process'
import { waitFor } from '../wait'
import { runtimeUrl, startLatentSandbox, stopAll } from './kill-harness'

/**
 * `kill -9` of the runtime between a list import and its results: the CLI runtime sends a batch of Create or Update
 * Contact in one import to the sandbox (a process of its own, at Listrak's latency), which applies it only after a
 * delay; the runtime records the follow-up when Listrak takes the import, and is killed before the results exist.
 * The next start on the same store follows the import to its end: exactly the events of the addresses Listrak refused
 * are dead-lettered, and every other acknowledged event is a contact on the list.
 */

const EVENTS = 40
/** Long enough that the import is still queued at the kill, however busy the machine; short enough to wait out. */
const IMPORT_DELAY_MS = 8000
const REFUSED = { 'banned@example.com': 'Banned', 'suppressed@example.com': 'Suppressed' }

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })

const json = async <T>(url: string) => (await (await fetch(url)).json()) as T

it('after a kill -9 between an import and its results, the next start follows it to the end', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kill-list-imports-'))
  const sandbox = await startLatentSandbox(['--list-import-delay', String(IMPORT_DELAY_MS)])
  const runtimes: ChildProcess[] = []
  try {
    const config = path.join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({
        settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
        listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
        subscriptions: [
          {
            name: 'signups',
            subscribe: 'type = "identify"',
            partnerAction: 'upsertContact',
            mapping: {
              listId: 12345,
              subscriptionState: 'Subscribed',
              bulk_import: 'add_and_update',
              bulk_min_contacts: 2,
              enable_batching: true
            }
          }
        ],
        delivery: { batchSize: EVENTS, flushIntervalMs: 100 },
        queue: { path: path.join(dir, 'queue') },
        imports: { firstPollMs: 200, maxPollMs: 1000 }
      })
    )
    const serve = async () => {
      const runtime = await startCli(['serve', '--config', config, '--port', '0', '--no-check'], /^Stats:/m)
      runtimes.push(runtime.child)
      return { ...runtime, url: runtimeUrl(runtime.output()) }
    }
    const imports = () => run(['imports', '--config', config])

    const first = await serve()
    const emails = [...Array.from({ length: EVENTS - 2 }, (_, i) => `signup${i}@example.com`), ...Object.keys(REFUSED)]
    const batch = emails.map((email) => ({
      type: 'identify',
      userId: email,
      messageId: `m-${email}`,
      traits: { email }
    }))
    const answer = await fetch(`${first.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batch })
    })
    expect(answer.status).toBe(200)
    // Listrak took the import and the runtime recorded it, before the import's rows were applied: then the kill.
    const recorded = await waitFor(
      'the import recorded in the store',
      imports,
      (listed) => /^1 list import\(s\) being followed/.test(listed.stdout),
      { timeoutMs: 15_000, intervalMs: 100, report: (listed) => listed.stdout + listed.stderr }
    )
    first.child.kill('SIGKILL')
    await exited(first.child)
    const [taken] = (
      await json<{ data: { importFileId: number; status: string }[] }>(`${sandbox.url}/_sandbox/list-imports`)
    ).data
    expect(taken.status).toBe('Queued')
    expect(recorded.stdout).toMatch(new RegExp(`signups\\s+12345\\s+${taken.importFileId}\\s+\\S+\\s+${EVENTS}\\s`))

    // The next start takes the follow-up up from the store and polls it until the import completes.
    const second = await serve()
    const finished = await waitFor(
      'the import followed to its end',
      imports,
      (listed) => /^No list import is being followed/.test(listed.stdout) && /^1 finished/m.test(listed.stdout),
      { timeoutMs: 30_000, intervalMs: 200, report: (listed) => listed.stdout + listed.stderr }
    )
    expect(finished.stdout).toMatch(
      new RegExp(`signups\\s+12345\\s+${taken.importFileId}\\s+\\S+\\s+completed\\s+Completed\\s+${EVENTS}\\s+2\\s+2`)
    )
    const stats = await json<{ listImports: Record<string, number> }>(`${second.url}/stats`)
    expect(stats.listImports).toMatchObject({ followed: 1, completed: 1, refusedRows: 2, following: 0 })
    second.child.kill('SIGTERM')
    expect(await exited(second.child)).toEqual([0, null])

    const letters = (await run(['dead-letters', 'export', '--config', config])).stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { messageId: string; status: number; reason: string })
    expect(letters.map((l) => [l.messageId, l.status, l.reason]).sort()).toEqual(
      Object.entries(REFUSED).map(([email, word]) => [
        `m-${email}`,
        400,
        `Listrak refused ${email} in list import ${taken.importFileId} on list 12345: ${word}`
      ])
    )
    const { contacts } = await json<{ contacts: { emailAddress: string }[] }>(
      `${sandbox.url}/_sandbox/lists/12345/contacts`
    )
    const onList = new Set(contacts.map((c) => c.emailAddress))
    const missing = emails.filter((email) => !(email in REFUSED) && !onList.has(email))
    process.stderr.write(
      `kill -9 between list import ${taken.importFileId} (${EVENTS} rows, applied after ${IMPORT_DELAY_MS} ms) and ` +
        `its results: followed to the end by the next start; dead-lettered ${letters.length} refused, ` +
        `${EVENTS - 2 - missing.length} of ${EVENTS - 2} others on the list\n`
    )
    expect(missing).toEqual([])
  } finally {
    await stopAll(runtimes, sandbox, dir)
  }
}, 90_000)
