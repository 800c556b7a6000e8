import { ChildProcess } from 'child_process'
import { mkdtempSync } from 'fs'
import os from 'os'
import path from 'path'
import { exited, startCli as start } from '../cli/process'
import { waitFor } from '../wait'
import { audit, postBatches, runtimeUrl, startLatentSandbox, writeAudienceConfig, stopAll } from './kill-harness'

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
  const sandbox = await startLatentSandbox()
  const runtimes: ChildProcess[] = []
  try {
    const config = writeAudienceConfig(path.join(dir, 'config.json'), sandbox, { path: path.join(dir, 'queue') })
    const serve = async () => {
      const runtime = await start(['serve', '--config', config, '--port', '0', '--no-check'], /^Stats:/m)
      runtimes.push(runtime.child)
      return { ...runtime, url: runtimeUrl(runtime.output()) }
    }

    // The load: clients posting batches of new contacts until the runtime is gone.
    const first = await serve()
    const acknowledged = new Set<string>()
    const load = Promise.all(
      Array.from({ length: CLIENTS }, (_, c) => postBatches(c, first.url, MAX_BATCHES_PER_CLIENT, BATCH, acknowledged))
    )
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
      { timeoutMs: 30_000, intervalMs: 50 }
    )
    third.child.kill('SIGTERM')
    expect(await exited(third.child)).toEqual([0, null])
    expect(third.output()).toMatch(/^Stopped\. accepted 0, /m)

    const result = await audit(sandbox, acknowledged, ['--config', config])
    process.stderr.write(
      `kill -9 mid-load: acknowledged ${queuedAtKill}, delivered ${result.delivered}, ` +
        `dead-lettered ${result.deadLettered}, lost ${result.lost.length}, delivered twice ${result.duplicates}; ` +
        `second start: ${interrupted}\n`
    )
    expect(queuedAtKill).toBeGreaterThan(0)
    expect(result.lost).toEqual([])
  } finally {
    await stopAll(runtimes, sandbox, dir)
  }
}, 60_000)
