import { ChildProcess, execFile } from 'child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { promisify } from 'util'
import { CLI as cli, exited, startCli as start } from '../cli/process'
import { audienceTrack } from '../engage-events'
import { waitFor } from '../wait'

/**
 * `kill -9` in the middle of a load: the real CLI against the sandbox in a process of its own, with Listrak's
 * latency. Every event the runtime answered 200 for must reach the sandbox or the dead letters once the runtime
 * has been started again on the same store; how many arrived twice (at-least-once) is reported.
 */

const CLIENTS = 4
const BATCH = 100
const MAX_BATCHES_PER_CLIENT = 60
const KILL_AFTER_MS = 1500

async function stats(url: string): Promise<{ queueDepth: number; delivered: number; resumed: number }> {
  return (await (await fetch(`${url}/stats`)).json()) as { queueDepth: number; delivered: number; resumed: number }
}

it('loses no acknowledged event when the runtime is killed with SIGKILL mid-load', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kill-'))
  const sandbox = await start(['sandbox', '--port', '0', '--latency', '100-300'], /^Press Ctrl\+C/m)
  const runtimes: ChildProcess[] = []
  try {
    const authUrl = /LISTRAK_AUTH_URL=(\S+)/.exec(sandbox.output())?.[1] as string
    const apiUrl = /LISTRAK_API_URL=(\S+)/.exec(sandbox.output())?.[1] as string
    const sandboxUrl = /listening on (\S+)/.exec(sandbox.output())?.[1] as string
    const config = path.join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({
        settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
        listrak: { authUrl, apiUrl },
        subscriptions: [
          {
            name: 'audience',
            subscribe: 'context.personas.computation_key = "my_audience"',
            partnerAction: 'updateEmailContactProfileFields',
            mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
          }
        ],
        delivery: { batchSize: 500, flushIntervalMs: 100 },
        queue: { path: path.join(dir, 'queue') }
      })
    )
    const serve = async () => {
      const runtime = await start(['serve', '--config', config, '--port', '0', '--no-check'], /^Stats:/m)
      runtimes.push(runtime.child)
      return { ...runtime, url: /runtime listening on (\S+)/.exec(runtime.output())?.[1] as string }
    }

    // The load: clients posting batches of new contacts until the runtime is gone.
    const first = await serve()
    const acknowledged = new Set<string>()
    const client = async (c: number) => {
      for (let b = 0; b < MAX_BATCHES_PER_CLIENT; b++) {
        const emails = Array.from({ length: BATCH }, (_, i) => `kill-${c}-${b}-${i}@example.com`)
        const batch = emails.map((email) => ({ ...audienceTrack(email, 'my_audience', true), messageId: email }))
        try {
          const response = await fetch(`${first.url}/v1/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ batch })
          })
          if (response.status === 200) emails.forEach((email) => acknowledged.add(email))
        } catch {
          return
        }
      }
    }
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)))
    await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS))
    first.child.kill('SIGKILL')
    await exited(first.child)
    await load
    const queuedAtKill = acknowledged.size

    // Started again on the same store: a second signal cuts its drain short, and what is left stays in the store.
    const second = await serve()
    expect(second.output()).toMatch(/Queue: durable, in .*; \d+ event\(s\) from the last run resumed\./)
    second.child.kill('SIGTERM')
    await waitFor('the first SIGTERM to start the drain', second.output, (output) =>
      output.includes('stopping: no new events')
    )
    second.child.kill('SIGTERM')
    const startedAt = Date.now()
    expect(await exited(second.child)).toEqual([0, null])
    expect(Date.now() - startedAt).toBeLessThan(5000)
    const interrupted = /^Stopped \(drain cut short by a second signal\)\. .*$/m.exec(second.output())?.[0] ?? ''
    expect(interrupted).toMatch(/resumed from the last run \d+/)

    // Started a third time: it delivers the rest.
    const third = await serve()
    await waitFor(
      'the third start to deliver what was left',
      () => stats(third.url),
      (s) => s.queueDepth === 0,
      {
        timeoutMs: 30_000,
        intervalMs: 50
      }
    )
    third.child.kill('SIGTERM')
    expect(await exited(third.child)).toEqual([0, null])
    expect(third.output()).toMatch(/^Stopped\. accepted 0, /m)

    // Where every acknowledged event went.
    const imports = (await (await fetch(`${sandboxUrl}/_sandbox/imports`)).json()) as {
      dropped: number
      data: { contacts: { emailAddress: string }[] }[]
    }
    expect(imports.dropped).toBe(0)
    const arrivals = new Map<string, number>()
    for (const { contacts } of imports.data) {
      for (const { emailAddress } of contacts) arrivals.set(emailAddress, (arrivals.get(emailAddress) ?? 0) + 1)
    }
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'dead-letters', 'export', '--config', config])
    const deadLettered = new Set(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { messageId: string }).messageId)
    )
    const lost = [...acknowledged].filter((email) => !arrivals.has(email) && !deadLettered.has(email))
    const duplicates = [...arrivals.values()].reduce((sum, n) => sum + n - 1, 0)
    process.stderr.write(
      `kill -9 mid-load: acknowledged ${queuedAtKill}, delivered ${[...acknowledged].filter((e) => arrivals.has(e)).length}, ` +
        `dead-lettered ${deadLettered.size}, lost ${lost.length}, delivered twice ${duplicates}; ` +
        `second start: ${interrupted}\n`
    )
    expect(queuedAtKill).toBeGreaterThan(0)
    expect(lost).toEqual([])
  } finally {
    for (const child of runtimes) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited(child)
    }
    sandbox.child.kill('SIGTERM')
    await exited(sandbox.child)
    // Tens of megabytes of store: not left behind.
    rmSync(dir, { recursive: true, force: true })
  }
}, 60_000)
