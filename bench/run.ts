import { spawn } from 'child_process'
import { Command, InvalidArgumentError } from 'commander'
import { once } from 'events'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import readline from 'readline'
import { MAX_CONTACTS_PER_IMPORT } from '../src/updateEmailContactProfileFields/imports'
import { BenchResult, mergeResults } from './merge'
import { CACHE, ensurePeer, PEER_PACKAGE } from './peer'
import type { Backend, IngestMeasurement } from './ingest-child'
import { INGEST, REPLAY, REPLAY_LARGE, WORKLOAD_IDS, WORKLOADS } from './workloads'
import type { BenchDestination, Workload } from './workloads'

/**
 * `npm run bench`: this destination against the official one, side by side, through the same actions-core path
 * and the same sandbox. Alternating runs, each in a fresh process after a warm-up; ratios are medians of the
 * ratios of runs taken side by side.
 */

interface Measurement {
  destination: BenchDestination
  name: string
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

interface ReplayMeasurement {
  events: number
  eventsPerSecond: number
  peakRssMb: number
}

const root = path.join(__dirname, '..')
const SAVED = path.join(__dirname, 'results', 'latest.json')
const UNSAVED = path.join(CACHE, 'latest.json')

// Argument errors exit with 2, apart from a run that fails (1), so scripts can tell a typo from a regression.
const USAGE_ERROR = 2

function wholeNumber(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('Expected a whole number of at least 1.')
  return Number(value)
}

function workloadList(value: string): string[] {
  const ids = value.split(',').map((id) => id.trim().toUpperCase())
  const unknown = ids.filter((id) => !WORKLOAD_IDS.includes(id))
  if (ids.some((id) => !id)) throw new InvalidArgumentError(`Expected workload names, e.g. W1,W4.`)
  if (unknown.length)
    throw new InvalidArgumentError(
      `Unknown workload ${unknown.join(', ')}; the workloads are ${WORKLOAD_IDS.join(', ')}.`
    )
  return [...new Set(ids)]
}

const program = new Command('npm run bench --')
  .description(
    "Benchmarks this destination against the official one (and the runtime's replay). Prints the results and " +
      `writes them as JSON to ${path.relative(root, UNSAVED)} (git ignores it), or to --out; only --save ` +
      `rewrites the committed ${path.relative(root, SAVED)}.`
  )
  .option(
    '--only <workloads>',
    `comma-separated workloads to run (${WORKLOAD_IDS.join(', ')}); default: all`,
    workloadList
  )
  .option('--runs <n>', "alternating runs of every selected workload; default: each workload's own", wholeNumber)
  .option('--events <n>', 'events per pass of every selected workload, for short trial runs', wholeNumber)
  .option(
    '--save',
    `write the results to ${path.relative(root, SAVED)}, the published figures (with --only, beside the others)`
  )
  .option('--out <file>', `write the JSON results to this file instead of ${path.relative(root, UNSAVED)}`)
  .addHelpText(
    'after',
    [
      '',
      'Workloads:',
      ...[...WORKLOADS, REPLAY, REPLAY_LARGE, INGEST].map(
        (w) => `  ${w.id}  ${String(w.runs).padStart(2)} run${w.runs > 1 ? 's' : ' '}  ${w.title}`
      ),
      '',
      'W1 and W4 run interleaved when both are selected, so that their runs pair up for the ratio to the floor.',
      'B1 runs Create or Update Contact twice: one request per contact (ours), then in list imports (bulk).',
      '',
      'Examples:',
      '  npm run bench -- --save                                 the published figures',
      '  npm run bench -- --only W1,W4 --runs 2 --events 2000    a short trial run',
      '',
      'Exit codes: 0 done, 1 a run failed, 2 bad arguments.'
    ].join('\n')
  )
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR))
  .parse()

const options = program.opts<{ only?: string[]; runs?: number; events?: number; save?: boolean; out?: string }>()
const selected = (id: string) => !options.only || options.only.includes(id)
const workloads: Workload[] = WORKLOADS.filter((w) => selected(w.id)).map((w) => ({
  ...w,
  events: options.events ?? w.events,
  runs: options.runs ?? w.runs
}))
const replayRun = selected(REPLAY.id) ? { ...REPLAY, events: options.events ?? REPLAY.events } : undefined
const largeReplayRun = selected(REPLAY_LARGE.id)
  ? { ...REPLAY_LARGE, events: options.events ? options.events * 5 : REPLAY_LARGE.events }
  : undefined
const ingestRun = selected(INGEST.id)
  ? {
      ...INGEST,
      events: options.events ?? INGEST.events,
      trackEvents: options.events ? Math.max(1, Math.floor(options.events / 10)) : INGEST.trackEvents
    }
  : undefined
/** The queues the ingest workload measures, in the order it runs them. */
const BACKENDS: Backend[] = ['durable', 'memory', 'redis']
/** Ingest with the durable store, on /v1/batch: the floor the durability issue set. */
const DURABLE_BATCH_EVENTS_PER_SECOND = 10_000
/** "Flat" memory: the 1,000,000-event replay may peak at most this much above the 200,000-event one. */
const FLAT_MEMORY_RATIO = 1.25
/** Fewer runs or other events than the workloads define: figures to look at, not to publish. */
const short = options.events !== undefined || WORKLOADS.some((w) => selected(w.id) && (options.runs ?? w.runs) < w.runs)
if (options.save && short)
  program.error(
    "error: --save writes the published figures: it takes neither --events nor fewer --runs than a selected workload's default runs.",
    { exitCode: USAGE_ERROR }
  )

const median = (values: number[]) => quantile(values, 0.5)

/** Linearly interpolated quantile (the usual "type 7"), so medians and quartiles agree. */
function quantile(values: number[], q: number) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low)
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits

/** Runs a TypeScript file of the bench in a fresh Node process and returns its one JSON line. */
async function child<T>(file: string, childArgs: string[], label: string): Promise<T> {
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, file), ...childArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  proc.stdout.on('data', (chunk) => (out += chunk))
  const [code] = await once(proc, 'close')
  if (code !== 0) throw new Error(`${label} (${file}) exited with ${code}`)
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

/** Workloads of one group together, the others alone, in the order of WORKLOADS. */
function groups(list: Workload[]): Workload[][] {
  const byKey = new Map<string, Workload[]>()
  for (const w of list) {
    const key = w.group ?? w.id
    byKey.set(key, [...(byKey.get(key) ?? []), w])
  }
  return [...byKey.values()]
}

type Raw = Record<string, Partial<Record<BenchDestination, Measurement[]>>>

async function measure(): Promise<Raw> {
  const raw: Raw = {}
  if (!workloads.length) return raw
  if (!existsSync(path.join(root, 'dist', 'package', 'index.js'))) throw new Error('Run `npm run build` first.')
  if (workloads.some((w) => w.destinations.includes('peer'))) ensurePeer()
  const sandbox = await startSandboxProcess()
  const post = (route: string, body?: unknown) =>
    fetch(`${sandbox.urls.url}${route}`, {
      method: 'POST',
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  try {
    for (const group of groups(workloads)) {
      const units = group.flatMap((w) => w.destinations.map((destination) => ({ w, destination })))
      const runs = Math.max(...group.map((w) => w.runs))
      for (let run = 0; run < runs; run++) {
        // Each run starts with another destination, so none is always first or last after the others.
        for (let i = 0; i < units.length; i++) {
          const { w, destination } = units[(i + run) % units.length]
          // The child warms up without latency, then sets the workload's latency itself.
          await post('/_sandbox/reset')
          const m = await child<Measurement>(
            'child.ts',
            [destination, JSON.stringify(w), JSON.stringify(sandbox.urls)],
            `${w.id} ${destination} run ${run + 1}`
          )
          if (m.delivered !== m.events)
            throw new Error(`${w.id} ${destination} delivered ${m.delivered} of ${m.events} events`)
          ;((raw[w.id] ??= {})[destination] ??= [])[run] = m
          process.stderr.write(
            `${w.id} ${destination.padEnd(5)} run ${run + 1}/${runs}: ${Math.round(m.wallMs)} ms, ` +
              `${Math.round(m.cpuMs)} ms CPU (${round((m.cpuMs / m.events) * 1000, 1)} ms/1k events), ` +
              `${Math.round(m.peakRssMb)} MB, ${m.requests} requests\n`
          )
        }
      }
    }
  } finally {
    sandbox.proc.kill('SIGTERM')
  }
  return raw
}

/** What a target compares, per run. */
const METRICS = {
  cpuMsPer1000: { label: 'CPU ms/1k events', of: (m: Measurement) => (m.cpuMs / m.events) * 1000 },
  eventsPerSecond: { label: 'events/s', of: (m: Measurement) => (m.events / m.wallMs) * 1000 },
  peakRssMb: { label: 'peak RSS MB', of: (m: Measurement) => m.peakRssMb },
  // For the same events, N times as many events per request is N times fewer requests.
  eventsPerRequest: { label: 'events/request', of: (m: Measurement) => m.events / m.requests }
}
type Metric = keyof typeof METRICS

interface Side {
  workload: string
  destination: BenchDestination
}

interface RatioTarget {
  target: string
  metric: Metric
  ours: Side
  reference: Side
  atLeast?: number
  atMost?: number
}

const TARGETS: RatioTarget[] = [
  {
    target: 'W2 events/s at least 3× the official destination',
    metric: 'eventsPerSecond',
    ours: { workload: 'W2', destination: 'ours' },
    reference: { workload: 'W2', destination: 'peer' },
    atLeast: 3
  },
  {
    target: 'W1 CPU per event at most 1.1× the official destination',
    metric: 'cpuMsPer1000',
    ours: { workload: 'W1', destination: 'ours' },
    reference: { workload: 'W1', destination: 'peer' },
    atMost: 1.1
  },
  {
    target: 'W1 CPU per event at most 1.1× the framework floor (W4)',
    metric: 'cpuMsPer1000',
    ours: { workload: 'W1', destination: 'ours' },
    reference: { workload: 'W4', destination: 'floor' },
    atMost: 1.1
  },
  {
    target: 'W3 peak RSS at most 1.2× the official destination',
    metric: 'peakRssMb',
    ours: { workload: 'W3', destination: 'ours' },
    reference: { workload: 'W3', destination: 'peer' },
    atMost: 1.2
  },
  {
    target: 'B1 list imports: at least 100× fewer requests than one per contact',
    metric: 'eventsPerRequest',
    ours: { workload: 'B1', destination: 'bulk' },
    reference: { workload: 'B1', destination: 'ours' },
    atLeast: 100
  },
  {
    target: 'B1 list imports: events/s at least 20× one request per contact',
    metric: 'eventsPerSecond',
    ours: { workload: 'B1', destination: 'bulk' },
    reference: { workload: 'B1', destination: 'ours' },
    atLeast: 20
  }
]

function spread(values: number[], digits: number) {
  return {
    median: round(median(values), digits),
    q1: round(quantile(values, 0.25), digits),
    q3: round(quantile(values, 0.75), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits)
  }
}

/**
 * A target from the runs taken side by side: run i of ours against run i of the reference, which ran next to it
 * (in the same round: W4 is in W1's group for the ratio to the floor), so that a slow moment of the machine weighs
 * on both sides of a ratio rather than on one side of the medians.
 */
function evaluate(raw: Raw, t: RatioTarget) {
  const limit = t.atMost ?? (t.atLeast as number)
  const base = {
    target: t.target,
    metric: t.metric,
    ours: t.ours,
    reference: t.reference,
    atMost: t.atMost,
    atLeast: t.atLeast
  }
  const a = raw[t.ours.workload]?.[t.ours.destination]
  const b = raw[t.reference.workload]?.[t.reference.destination]
  if (!a || !b) return { ...base, value: null, status: 'not measured' as const }
  const of = METRICS[t.metric].of
  const pairs = a.map((m, i) => [of(m), of(b[i])] as const)
  const ratios = pairs.map(([x, y]) => x / y)
  const ratio = { ...spread(ratios, 3), pairs: ratios.length, values: ratios.map((r) => round(r, 3)) }
  const met = t.atMost !== undefined ? ratio.median <= t.atMost : ratio.median >= limit
  return {
    ...base,
    value: ratio.median,
    oursMedian: round(median(pairs.map(([x]) => x)), 1),
    referenceMedian: round(median(pairs.map(([, y]) => y)), 1),
    ratio,
    status: met ? ('met' as const) : ('NOT met' as const),
    // A median this close to the limit could fall on the other side in another set of runs.
    limitWithinIqr: ratio.q1 <= limit && limit <= ratio.q3
  }
}

function summarize(raw: Raw) {
  return Object.fromEntries(
    Object.entries(raw).map(([workload, byDestination]) => [
      workload,
      Object.fromEntries(
        Object.entries(byDestination).map(([destination, runs]) => {
          const cpu = runs.map(METRICS.cpuMsPer1000.of)
          return [
            destination,
            {
              name: runs[0].name,
              events: runs[0].events,
              wallMs: Math.round(median(runs.map((r) => r.wallMs))),
              eventsPerSecond: Math.round(median(runs.map(METRICS.eventsPerSecond.of))),
              cpuMsPer1000: spread(cpu, 1),
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
  )
}

function table(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const format = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(format)]
}

const describe = (w: Workload) =>
  `${w.events.toLocaleString('en-US')} ${w.action === 'upsertContact' ? 'contacts' : 'events'}` +
  `${w.passes > 1 ? ` × ${w.passes} passes` : ''}, ` +
  `${w.lists} list${w.lists > 1 ? 's' : ''}, ${w.latencyMs ? `${w.latencyMs} ms latency` : 'no latency'}`

/** I1: one runtime process per queue, against a sandbox process of its own. */
async function measureIngest(): Promise<IngestMeasurement[]> {
  if (!ingestRun) return []
  const sandbox = await startSandboxProcess()
  try {
    const results: IngestMeasurement[] = []
    for (const backend of BACKENDS) {
      const m = await child<IngestMeasurement>(
        'ingest-child.ts',
        [
          backend,
          JSON.stringify({ batchEvents: ingestRun.events, trackEvents: ingestRun.trackEvents, sandbox: sandbox.urls })
        ],
        `${INGEST.id} ${backend}`
      )
      for (const r of m.routes) {
        process.stderr.write(
          `${INGEST.id} ${backend.padEnd(7)} /v1/${r.route}: ${r.eventsPerSecond} events/s, p99 ${r.p99Ms} ms` +
            `${r.refused ? `, ${r.refused} requests refused` : ''}\n`
        )
      }
      results.push(m)
    }
    return results
  } finally {
    sandbox.proc.kill('SIGTERM')
  }
}

async function main() {
  const raw = await measure()
  const replay = replayRun
    ? await child<ReplayMeasurement>('replay-child.ts', [String(replayRun.events)], REPLAY.id)
    : undefined
  const largeReplay = largeReplayRun
    ? await child<ReplayMeasurement>('replay-child.ts', [String(largeReplayRun.events)], REPLAY_LARGE.id)
    : undefined
  const ingest = await measureIngest()
  const durableBatch = ingest.find((m) => m.backend === 'durable')?.routes.find((r) => r.route === 'batch')
  const ingestTarget = {
    target: `I1 durable store, /v1/batch: at least ${DURABLE_BATCH_EVENTS_PER_SECOND.toLocaleString('en-US')} events/s, none refused`,
    atLeast: DURABLE_BATCH_EVENTS_PER_SECOND,
    value: durableBatch?.eventsPerSecond ?? null,
    status: !durableBatch
      ? 'not measured'
      : durableBatch.eventsPerSecond >= DURABLE_BATCH_EVENTS_PER_SECOND && durableBatch.refused === 0
        ? 'met'
        : 'NOT met'
  }
  const flatRatio = replay && largeReplay ? largeReplay.peakRssMb / replay.peakRssMb : undefined
  const flatTarget = {
    target: `R2 peak RSS at most ${FLAT_MEMORY_RATIO}× R1's (five times the events)`,
    atMost: FLAT_MEMORY_RATIO,
    value: flatRatio === undefined ? null : round(flatRatio, 2),
    status:
      flatRatio === undefined ? 'not measured (needs R1 and R2)' : flatRatio <= FLAT_MEMORY_RATIO ? 'met' : 'NOT met'
  }
  const summary = summarize(raw)
  const ratioTargets = TARGETS.map((t) => evaluate(raw, t))
  const largest = summary.W3?.ours?.largestRequestContacts
  const largestTarget = {
    target: `W3 no request over ${MAX_CONTACTS_PER_IMPORT} contacts`,
    atMost: MAX_CONTACTS_PER_IMPORT,
    value: largest ?? null,
    status: largest === undefined ? 'not measured' : largest <= MAX_CONTACTS_PER_IMPORT ? 'met' : 'NOT met'
  }
  const targets = [...ratioTargets, largestTarget, ingestTarget, flatTarget]

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
  const lines = [`Machine: ${machine}. Peer: ${PEER_PACKAGE}. Each run in a fresh process, after a warm-up.`]
  if (short)
    lines.push(
      `Short run (${[options.events && `--events ${options.events}`, options.runs && `--runs ${options.runs}`].filter(Boolean).join(', ')}): ` +
        'fewer runs or other events than the workloads define; not comparable to the published figures.'
    )
  lines.push('')
  if (workloads.length) {
    const rows = workloads.flatMap((w) =>
      Object.entries(summary[w.id] ?? {}).map(([destination, m]) => {
        const cpu = m.cpuMsPer1000
        return [
          w.id,
          describe(w),
          `${destination} (${m.name})`,
          m.runs,
          m.wallMs,
          m.eventsPerSecond,
          `${cpu.median} (${cpu.q1}–${cpu.q3})`,
          m.peakRssMb,
          m.requests,
          // A run that sent no import (one request per contact, the floor) has no largest to show.
          m.largestRequestContacts || '—',
          m.largestRequestBytes || '—'
        ].map(String)
      })
    )
    lines.push(
      ...table(
        [
          'workload',
          'events',
          'destination',
          'runs',
          'wall ms',
          'events/s',
          'CPU ms/1k ev (IQR)',
          'peak RSS MB',
          'requests',
          'largest req (contacts)',
          'largest req (bytes)'
        ],
        rows
      ),
      ''
    )
  }
  const notMeasured = (target: string) => [target, '—', '—', '—', '—', '—', 'not measured']
  const targetRows = ratioTargets.map((t) => {
    if (!('ratio' in t)) return notMeasured(t.target)
    const unit = METRICS[t.metric].label
    return [
      t.target,
      `${t.oursMedian} ${unit}`,
      `${t.referenceMedian} ${unit}`,
      `${t.ratio.median.toFixed(2)}×`,
      `${t.ratio.q1.toFixed(2)}–${t.ratio.q3.toFixed(2)} (${t.ratio.min.toFixed(2)}–${t.ratio.max.toFixed(2)})`,
      String(t.ratio.pairs),
      `${t.status}${t.limitWithinIqr ? ', limit within the IQR' : ''}`
    ]
  })
  targetRows.push(
    largestTarget.value === null
      ? notMeasured(largestTarget.target)
      : [largestTarget.target, `largest ${largestTarget.value}`, '—', '—', '—', '—', largestTarget.status],
    ingestTarget.value === null
      ? notMeasured(ingestTarget.target)
      : [ingestTarget.target, `${ingestTarget.value} events/s`, '—', '—', '—', '—', ingestTarget.status],
    flatTarget.value === null
      ? [flatTarget.target, '—', '—', '—', '—', '—', flatTarget.status]
      : [
          flatTarget.target,
          `${Math.round(largeReplay?.peakRssMb ?? 0)} MB`,
          `${Math.round(replay?.peakRssMb ?? 0)} MB`,
          `${flatTarget.value.toFixed(2)}×`,
          '—',
          '1',
          flatTarget.status
        ]
  )
  lines.push(
    ...table(
      [
        'target',
        'ours (median)',
        'reference (median)',
        'ratio (median of pairs)',
        'spread: IQR (min–max)',
        'pairs',
        'status'
      ],
      targetRows
    ),
    ''
  )
  const w4 = summary.W4?.floor?.eventsPerSecond
  lines.push(
    replay
      ? `${REPLAY.id}: replay of ${replay.events.toLocaleString('en-US')} events (\`listrak-actions replay\` pipeline, ` +
          `embedded sandbox, no latency): ${replay.eventsPerSecond} events/s, peak RSS ${Math.round(replay.peakRssMb)} MB` +
          (w4 ? `; ${round(replay.eventsPerSecond / w4, 2)}× W4's events/s.` : '.')
      : `${REPLAY.id} (replay): not measured.`,
    largeReplay
      ? `${REPLAY_LARGE.id}: replay of ${largeReplay.events.toLocaleString('en-US')} events: ${largeReplay.eventsPerSecond} ` +
          `events/s, peak RSS ${Math.round(largeReplay.peakRssMb)} MB.`
      : `${REPLAY_LARGE.id} (replay, large): not measured.`
  )
  if (ingest.length) {
    lines.push(
      '',
      `${INGEST.id}: the runtime (\`serve\`, its own process) acknowledging ${ingestRun?.events.toLocaleString('en-US')} ` +
        `events on /v1/batch, then ${ingestRun?.trackEvents.toLocaleString('en-US')} on /v1/track, while it delivers to ` +
        'the sandbox (another process); the load from a third. Redis: a local redis-server, append-only file synced every second.',
      ...table(
        [
          'queue',
          'route',
          'events',
          'events/s',
          'p50 ms',
          'p99 ms',
          'refused requests',
          'drain ms',
          'runtime peak RSS MB'
        ],
        ingest.flatMap((m) =>
          m.routes.map((r) =>
            [
              m.backend,
              `/v1/${r.route}`,
              r.events,
              r.eventsPerSecond,
              r.p50Ms,
              r.p99Ms,
              r.refused,
              r.route === 'batch' ? m.drainMs : '—',
              m.runtimePeakRssMb ?? '—'
            ].map(String)
          )
        )
      )
    )
  }

  const result = {
    date: new Date().toISOString(),
    machine,
    peer: PEER_PACKAGE,
    options: { only: options.only ?? null, runs: options.runs ?? null, events: options.events ?? null },
    short,
    workloads: [
      ...workloads,
      ...(replayRun ? [replayRun] : []),
      ...(largeReplayRun ? [largeReplayRun] : []),
      ...(ingestRun ? [ingestRun] : [])
    ],
    summary,
    targets,
    replay: replay ?? null,
    largeReplay: largeReplay ?? null,
    ingest,
    raw
  }
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
  const files = [...(options.save ? [SAVED] : []), ...(options.out ? [path.resolve(options.out)] : [])]
  if (!files.length) files.push(UNSAVED)
  for (const file of files) {
    mkdirSync(path.dirname(file), { recursive: true })
    // --save with --only publishes the workloads it ran beside the saved figures of the others.
    const merge = file === SAVED && options.only && existsSync(SAVED)
    const order = [...WORKLOADS, REPLAY, REPLAY_LARGE, INGEST].map((w) => w.id)
    const saved = merge ? (JSON.parse(readFileSync(SAVED, 'utf8')) as BenchResult) : undefined
    writeFileSync(file, json(saved ? mergeResults(saved, result as unknown as BenchResult, order) : result))
  }
  lines.push('', `JSON: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`)
  console.log(lines.join('\n'))
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
