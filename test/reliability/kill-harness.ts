import { ChildProcess, execFile } from 'child_process'
import { rmSync, writeFileSync } from 'fs'
import { promisify } from 'util'
import { CLI, exited, startCli } from '../cli/process'
import { audienceTrack } from '../engage-events'

/**
 * What the kill tests share: the sandbox in a process of its own with Listrak's latency, a config for it, clients
 * posting batches of new contacts, and the audit of where every acknowledged event went.
 */

export interface LatentSandbox {
  child: ChildProcess
  url: string
  authUrl: string
  apiUrl: string
}

/** The CLI's sandbox at 100–300 ms a request, as Listrak answers under load, with the faults `options` give. */
export async function startLatentSandbox(options: string[] = []): Promise<LatentSandbox> {
  const args = ['sandbox', '--port', '0', '--latency', '100-300', ...options]
  const { child, output } = await startCli(args, /^Press Ctrl\+C/m)
  const read = (pattern: RegExp) => pattern.exec(output())?.[1] as string
  return {
    child,
    url: read(/listening on (\S+)/),
    authUrl: read(/LISTRAK_AUTH_URL=(\S+)/),
    apiUrl: read(/LISTRAK_API_URL=(\S+)/)
  }
}

/** Ends what a kill test started, whatever state it is in: the runtimes (killed), the sandbox, and their folder. */
export async function stopAll(runtimes: ChildProcess[], sandbox: LatentSandbox, dir: string): Promise<void> {
  for (const child of runtimes) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited(child)
  }
  sandbox.child.kill('SIGTERM')
  await exited(sandbox.child)
  // Tens of megabytes of store: not left behind.
  rmSync(dir, { recursive: true, force: true })
}

/** Writes a config delivering `my_audience` to field 6789 of list 12345 of the sandbox, with the queue given. */
export function writeAudienceConfig(file: string, sandbox: LatentSandbox, queue: Record<string, unknown>): string {
  writeFileSync(
    file,
    JSON.stringify({
      settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
      listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
      subscriptions: [
        {
          name: 'audience',
          subscribe: 'context.personas.computation_key = "my_audience"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
        }
      ],
      delivery: { batchSize: 500, flushIntervalMs: 100 },
      queue
    })
  )
  return file
}

/**
 * Client `c` posting up to `batches` batches of `size` new contacts (messageId = email) to the runtime at
 * `url(c)`, recording in `acknowledged` the contacts of every batch answered 200; it stops at the first
 * connection error (its runtime is gone).
 */
export async function postBatches(
  c: number,
  url: string,
  batches: number,
  size: number,
  acknowledged: Set<string>
): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const emails = Array.from({ length: size }, (_, i) => `kill-${c}-${b}-${i}@example.com`)
    const batch = emails.map((email) => ({ ...audienceTrack(email, 'my_audience', true), messageId: email }))
    try {
      const response = await fetch(`${url}/v1/batch`, {
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

export interface Audit {
  delivered: number
  deadLettered: number
  /** Acknowledged, yet neither in the sandbox nor in the dead letters. */
  lost: string[]
  /** Arrivals beyond the first, over every contact (delivery is at-least-once). */
  duplicates: number
}

/** Where every acknowledged event went: the sandbox's imports, and the dead letters `dead-letters export` gives. */
export async function audit(
  sandbox: LatentSandbox,
  acknowledged: Set<string>,
  deadLettersArgs: string[]
): Promise<Audit> {
  const imports = (await (await fetch(`${sandbox.url}/_sandbox/imports`)).json()) as {
    dropped: number
    data: { contacts: { emailAddress: string }[] }[]
  }
  // A history that dropped entries could hide an arrival.
  if (imports.dropped !== 0) throw new Error(`the sandbox's import history dropped ${imports.dropped} entries`)
  const arrivals = new Map<string, number>()
  for (const { contacts } of imports.data) {
    for (const { emailAddress } of contacts) arrivals.set(emailAddress, (arrivals.get(emailAddress) ?? 0) + 1)
  }
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'dead-letters', 'export', ...deadLettersArgs])
  const deadLettered = new Set(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { messageId: string }).messageId)
  )
  return {
    delivered: [...acknowledged].filter((email) => arrivals.has(email)).length,
    deadLettered: deadLettered.size,
    lost: [...acknowledged].filter((email) => !arrivals.has(email) && !deadLettered.has(email)),
    duplicates: [...arrivals.values()].reduce((sum, n) => sum + n - 1, 0)
  }
}

/** The serve command's URL, from its banner. */
export const runtimeUrl = (output: string) => /runtime listening on (\S+)/.exec(output)?.[1] as string
