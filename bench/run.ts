import { spawn } from 'child_process'
import { once } from 'events'
import { existsSync, mkdirSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import readline from 'readline'
import { MAX_CONTACTS_PER_IMPORT } from '../src/updateEmailContactProfileFields/imports'
import { ensurePeer, PEER_PACKAGE } from './peer'
import { WORKLOADS } from './workloads'

/**
 * `npm run bench`: this destination against the official one, side by side, through the same actions-core path
 * and the same sandbox. Medians of alternating runs, each in a fresh process after a warm-up.
 */

interface Measurement {
  destination: string
  workload: string
  events: number
  delivered: number
  wallMs: number
  cpuMs: number
  peakRssMb: number
  requests: number
  largestRequestContacts: number
  largestRequestBytes: number
}

const root = path.join(__dirname, '..')
const args = process.argv.slice(2)
const option = (name: string) => args[args.indexOf(name) + 1]
const RUNS = args.includes('--runs') ? Number(option('--runs')) : 5
const ONLY = args.includes('--only') ? option('--only').split(',') : undefined

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs a TypeScript file of the bench in a fresh Node process and returns its one JSON line. */
async function child<T>(file: string, childArgs: string[]): Promise<T> {
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, file), ...childArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  proc.stdout.on('data', (chunk) => (out += chunk))
  const [code] = await once(proc, 'close')
  if (code !== 0) throw new Error(`${file} ${childArgs.slice(0, 2).join(' ')} exited with ${code}`)
  return JSON.parse(out.trim().split('\n').pop() as string) as T
}

async function startSandboxProcess() {
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'sandbox-process.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const [line] = await once(readline.createInterface({ input: proc.stdout }), 'line')
  return { proc, urls: JSON.parse(line as string) as { url: string; authUrl: string; apiUrl: string } }
}

async function main() {
  if (!existsSync(path.join(root, 'dist', 'src', 'index.js'))) throw new Error('Run `npm run build` first.')
  ensurePeer()
  const sandbox = await startSandboxProcess()
  const post = (route: string, body?: unknown) =>
    fetch(`${sandbox.urls.url}${route}`, {
      method: 'POST',
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  const results: Record<string, Record<string, Measurement[]>> = {}
  try {
    for (const workload of WORKLOADS.filter((w) => !ONLY || ONLY.includes(w.id))) {
      results[workload.id] = {}
      for (let run = 0; run < RUNS; run++) {
        for (const destination of workload.destinations) {
          // The child warms up without latency, then sets the workload's latency itself.
          await post('/_sandbox/reset')
          const m = await child<Measurement>('child.ts', [destination, workload.id, JSON.stringify(sandbox.urls)])
          ;(results[workload.id][destination] ??= []).push(m)
          process.stderr.write(
            `${workload.id} ${destination.padEnd(5)} run ${run + 1}/${RUNS}: ${Math.round(m.wallMs)} ms, ${Math.round(m.cpuMs)} ms CPU, ` +
              `${Math.round(m.peakRssMb)} MB, ${m.requests} requests\n`
          )
        }
      }
    }
  } finally {
    sandbox.proc.kill('SIGTERM')
  }

  const replay = await child<{ events: number; eventsPerSecond: number; peakRssMb: number }>('replay-child.ts', [])

  const summary = Object.fromEntries(
    Object.entries(results).map(([workload, byDestination]) => [
      workload,
      Object.fromEntries(
        Object.entries(byDestination).map(([destination, runs]) => {
          const events = runs[0].events
          return [
            destination,
            {
              wallMs: Math.round(median(runs.map((r) => r.wallMs))),
              eventsPerSecond: Math.round(median(runs.map((r) => (r.events / r.wallMs) * 1000))),
              cpuMsPer1000: Math.round(median(runs.map((r) => (r.cpuMs / events) * 1000)) * 10) / 10,
              peakRssMb: Math.round(median(runs.map((r) => r.peakRssMb))),
              requests: median(runs.map((r) => r.requests)),
              largestRequestContacts: Math.max(...runs.map((r) => r.largestRequestContacts)),
              largestRequestBytes: Math.max(...runs.map((r) => r.largestRequestBytes)),
              delivered: median(runs.map((r) => r.delivered)),
              runs: runs.length
            }
          ]
        })
      )
    ])
  ) as Record<string, Record<string, Record<string, number>>>

  const ratio = (a?: number, b?: number) => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : undefined)
  const s = summary
  const targets = [
    {
      target: 'W2 events/s ≥ 3× the peer',
      value: ratio(s.W2?.ours?.eventsPerSecond, s.W2?.peer?.eventsPerSecond),
      met: (v: number) => v >= 3
    },
    {
      target: 'W1 CPU per event ≤ 1.1× the peer',
      value: ratio(s.W1?.ours?.cpuMsPer1000, s.W1?.peer?.cpuMsPer1000),
      met: (v: number) => v <= 1.1
    },
    {
      target: 'W1 CPU per event ≤ 1.1× the framework floor (W4)',
      value: ratio(s.W1?.ours?.cpuMsPer1000, s.W4?.floor?.cpuMsPer1000),
      met: (v: number) => v <= 1.1
    },
    {
      target: 'W3 peak RSS ≤ 1.2× the peer',
      value: ratio(s.W3?.ours?.peakRssMb, s.W3?.peer?.peakRssMb),
      met: (v: number) => v <= 1.2
    },
    {
      target: `W3 no request over ${MAX_CONTACTS_PER_IMPORT} contacts`,
      value: s.W3?.ours?.largestRequestContacts,
      met: (v: number) => v <= MAX_CONTACTS_PER_IMPORT
    }
  ].map(({ target, value, met }) => ({
    target,
    value,
    met: value === undefined ? 'not run' : met(value) ? 'met' : 'NOT met'
  }))

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
  const lines = [
    `Machine: ${machine}. Peer: ${PEER_PACKAGE}. Median of ${RUNS} alternating runs, each after a warm-up.`,
    ''
  ]
  const header = [
    'workload',
    'destination',
    'wall ms',
    'events/s',
    'CPU ms/1k ev',
    'peak RSS MB',
    'requests',
    'largest req (contacts)',
    'largest req (bytes)'
  ]
  const rows = Object.entries(summary).flatMap(([workload, byDestination]) =>
    Object.entries(byDestination).map(([destination, m]) =>
      [
        workload,
        destination,
        m.wallMs,
        m.eventsPerSecond,
        m.cpuMsPer1000,
        m.peakRssMb,
        m.requests,
        m.largestRequestContacts,
        m.largestRequestBytes
      ].map(String)
    )
  )
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const format = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  lines.push(format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(format), '')
  lines.push('| target | ours ÷ reference | status |', '|---|---|---|')
  for (const t of targets) lines.push(`| ${t.target} | ${t.value ?? '—'} | ${t.met} |`)
  lines.push(
    '',
    `Replay (\`listrak-actions replay\` pipeline, 200,000 events, embedded sandbox, no latency): ${replay.eventsPerSecond} events/s, ` +
      `peak RSS ${Math.round(replay.peakRssMb)} MB; ${ratio(replay.eventsPerSecond, s.W4?.floor?.eventsPerSecond) ?? '—'}× W4's events/s.`
  )
  console.log(lines.join('\n'))

  mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  writeFileSync(
    path.join(__dirname, 'results', 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, peer: PEER_PACKAGE, runs: RUNS, summary, targets, replay, raw: results }, null, 2)}\n`
  )
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
