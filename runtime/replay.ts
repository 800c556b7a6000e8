import { SingleBar } from 'cli-progress'
import type { Logger } from 'pino'
import type { RuntimeConfig } from './config'
import { openEventFile } from './event-file'
import { parseEvent } from './events'
import { createPipeline } from './index'
import type { DrainResult } from './pipeline'

export interface ReplaySummary {
  file: string
  read: number
  invalid: Record<string, number>
  accepted: number
  matched: number
  unmatched: number
  delivered: number
  refused: number
  retried: number
  deadLettered: number
  reasons: Record<string, { count: number; example: string }>
  importsPerList: Record<string, number>
  deliveredPerList: Record<string, number>
  /** Events an earlier run left in the durable queue, delivered in this one. */
  resumed: number
  /** Events still queued when the replay stopped: in the durable queue for the next run. */
  left: number
  elapsedSeconds: number
  eventsPerSecond: number
  /** Where the dead letters are: the NDJSON file (in memory) or the queue store. */
  deadLetters: string
  sandboxUrl?: string
}

export interface ReplayOptions {
  logger: Logger
  /** 'bar' on a terminal, 'lines' otherwise, 'none' in tests. */
  progress: 'bar' | 'lines' | 'none'
  write?: (line: string) => void
}

const PROGRESS_LINE_MS = 2000
/** Batches' worth of events replay keeps queued: enough to keep deliveries busy, little enough for flat memory. */
const REPLAY_WINDOW_BATCHES = 4

/** Streams a file of Segment events through the same pipeline as `serve`, in-process, and sums up what happened. */
export async function replay(file: string, config: RuntimeConfig, options: ReplayOptions): Promise<ReplaySummary> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const source = await openEventFile(file)
  const parts = await createPipeline(config, { logger: options.logger })
  const { pipeline, stats } = parts
  const resumed = await pipeline.resume()
  const invalid: Record<string, number> = {}
  const window = Math.min(config.delivery.maxQueue, REPLAY_WINDOW_BATCHES * config.delivery.batchSize)
  let read = 0
  const startedAt = performance.now()

  const bar =
    options.progress === 'bar'
      ? new SingleBar({ format: 'replay {bar} {percentage}% | {read} events | {rate} events/s', hideCursor: true })
      : undefined
  bar?.start(source.size, 0, { read: 0, rate: 0 })
  let lastLine = startedAt
  const report = (force = false) => {
    const now = performance.now()
    const rate = Math.round(read / Math.max(0.001, (now - startedAt) / 1000))
    if (bar) bar.update(source.bytesRead(), { read, rate })
    else if (options.progress === 'lines' && (force || now - lastLine >= PROGRESS_LINE_MS)) {
      lastLine = now
      const percent = source.size ? Math.round((100 * source.bytesRead()) / source.size) : 100
      write(`replay: ${read} events read (${percent}%), ${stats.totals.delivered} delivered, ${rate} events/s`)
    }
  }

  // Events are accepted without waiting for each to be stored, so a durable queue stores many per commit; the
  // first that cannot be stored stops the replay. A replayed file is not deduplicated: replaying it again is
  // meant to deliver it again.
  let failure: Error | undefined
  let drained: DrainResult | undefined
  try {
    for await (const item of source.items) {
      if (failure) break
      read++
      const parsed = item.ok ? parseEvent(item.value, config.ingest.maxEventBytes) : item
      if (!parsed.ok) {
        stats.invalid++
        const reason = 'reason' in parsed ? parsed.reason : 'invalid'
        invalid[reason] = (invalid[reason] ?? 0) + 1
        continue
      }
      if (pipeline.depth >= window) await pipeline.waitForDepthBelow(window)
      pipeline.accept(parsed.event, { dedup: false }).catch((error: Error) => (failure ??= error))
      if (read % 1000 === 0) report()
    }
  } finally {
    drained = await parts.close()
    report(true)
    bar?.stop()
  }
  if (failure) throw new Error(`The replay stopped after ${read} events: ${failure.message}`)

  const elapsedSeconds = (performance.now() - startedAt) / 1000
  const json = stats.toJSON(pipeline.depth)
  return {
    file,
    read,
    invalid,
    accepted: json.accepted,
    matched: json.matched,
    unmatched: json.unmatched,
    delivered: json.delivered,
    refused: json.refused,
    retried: json.retried,
    deadLettered: json.deadLettered,
    reasons: json.reasons,
    importsPerList: json.importsPerList,
    deliveredPerList: Object.fromEntries(Object.entries(json.perList).map(([list, c]) => [list, c.delivered])),
    resumed,
    left: drained.left,
    elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
    eventsPerSecond: Math.round(read / Math.max(elapsedSeconds, 0.001)),
    deadLetters: parts.queue.durable
      ? `the queue store ${parts.queue.location} (listrak-actions dead-letters list)`
      : config.delivery.deadLetterFile,
    sandboxUrl: parts.sandbox?.url
  }
}

/** The closing table a person reads after a replay. */
export function formatSummary(summary: ReplaySummary): string {
  const rows: [string, string][] = [
    ['file', summary.file],
    ['read', String(summary.read)],
    ['invalid', String(Object.values(summary.invalid).reduce((a, b) => a + b, 0))],
    ...Object.entries(summary.invalid).map(([reason, n]): [string, string] => [`  ${reason}`, String(n)]),
    ['accepted', String(summary.accepted)],
    ...(summary.resumed ? [['resumed from the queue', String(summary.resumed)] as [string, string]] : []),
    ['matched', String(summary.matched)],
    ['unmatched', String(summary.unmatched)],
    ['delivered', String(summary.delivered)],
    ['refused', String(summary.refused)],
    ['retried', String(summary.retried)],
    ['dead-lettered', String(summary.deadLettered)],
    ...Object.entries(summary.reasons).map(([key, { count, example }]): [string, string] => [
      `  ${key}`,
      `${count}  e.g. ${example.length > 100 ? `${example.slice(0, 100)}…` : example}`
    ]),
    ...Object.entries(summary.importsPerList).map(([list, n]): [string, string] => [
      `imports, list ${list}`,
      `${n} (${summary.deliveredPerList[list] ?? 0} events)`
    ]),
    ['elapsed', `${summary.elapsedSeconds} s`],
    ['events/s', String(summary.eventsPerSecond)]
  ]
  if (summary.left > 0) rows.push(['left in the queue', `${summary.left} (delivered by the next run)`])
  if (summary.deadLettered > 0) rows.push(['dead letters in', summary.deadLetters])
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}
