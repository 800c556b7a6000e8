import { SingleBar } from 'cli-progress'
import type { Logger } from 'pino'
import { checkConfig, CheckNotRunError } from '../check'
import { formatCheck, isProblem } from '../check/rows'
import type { RuntimeConfig } from '../../config'
import { EventFileError, openEventFile } from '../event-file'
import { parseEvent } from '../../ingest/events'
import { CheckFailedError, connectListrak, createPipeline, ListrakConnection } from '../../index'
import type { DrainResult } from '../../pipeline/pipeline'
import { REDIS_QUEUE_DEFAULTS } from '../../queue/redis/options'
import { RedisQueue } from '../../queue/redis/queue'
import { sandboxContacts, sandboxMessages } from './sandbox-contents'
import { InvalidTally, ReplaySummary } from './summary'

export interface ReplayOptions {
  logger: Logger
  /** 'bar' on a terminal, 'lines' otherwise, 'none' in tests. */
  progress: 'bar' | 'lines' | 'none'
  write?: (line: string) => void
  /** Check the config against the Listrak account first, as `serve` does; a failing check throws CheckFailedError. */
  check?: boolean
  /**
   * Where to deliver, made by the caller, which stops it: so that the embedded sandbox can outlive the replay.
   * Without it the replay connects (starting the sandbox when no credentials are given) and stops it at the end.
   */
  listrak?: ListrakConnection
}

/**
 * The replay did not go through the whole file: the file broke off, or the queue stopped taking events. What it did
 * until then is in `summary`.
 */
export class ReplayStoppedError extends Error {
  constructor(
    message: string,
    readonly summary: ReplaySummary
  ) {
    super(message)
  }
}

const PROGRESS_LINE_MS = 2000
/** Batches' worth of events replay keeps queued: enough to keep deliveries busy, little enough for flat memory. */
const REPLAY_WINDOW_BATCHES = 4

/** How long the replay waits on a shared queue whose events do not move, before it says so and reads on. */
const STALL_WARNING_MS = 30_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Streams a file of Segment events through the same pipeline as `serve`, in-process, and sums up what happened.
 * Throws an EventFileError for a file it cannot read from the start, CheckFailedError for a failing check, and
 * ReplayStoppedError when it could not go through the whole file.
 */
export async function replay(file: string, config: RuntimeConfig, options: ReplayOptions): Promise<ReplaySummary> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const source = await openEventFile(file)
  const listrak = options.listrak ?? (await connectListrak(config))
  try {
    const { sandbox } = listrak
    // The pipeline delivers through this connection rather than one of its own, which would stop with it.
    const target: RuntimeConfig = sandbox
      ? { ...config, settings: listrak.settings, listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl } }
      : config
    const parts = await createPipeline(target, { logger: options.logger })
    const { pipeline, stats } = parts

    if (options.check) {
      let rows
      try {
        rows = await checkConfig(target, parts.settings, undefined, { tokens: parts.tokens })
      } catch (error) {
        await parts.close()
        if (!(error instanceof CheckNotRunError)) throw error
        throw new CheckFailedError([], `${error.message} Or replay with --no-check to skip the check.`)
      }
      if (rows.some(isProblem)) {
        await parts.close()
        throw new CheckFailedError(rows)
      }
      write('Config check:')
      for (const line of formatCheck(rows).split('\n')) write(`  ${line}`)
    }

    const resumed = await pipeline.resume()
    parts.follower.start()
    const invalid = new InvalidTally()
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
    let storing = 0
    const shared = parts.queue instanceof RedisQueue ? parts.queue : undefined
    const subscriptions = config.subscriptions.filter((s) => s.enabled).map((s) => s.name)
    const pollMs = config.queue.redis?.pollMs ?? REDIS_QUEUE_DEFAULTS.pollMs

    /**
     * Polls what the shared queue holds of the replayed subscriptions, over every runtime, until `enough` holds,
     * and returns it. Gives up, returning what is still there, once it has not gone down for `patienceMs`.
     */
    const waitOnShared = async (queue: RedisQueue, enough: (queued: number) => boolean, patienceMs: number) => {
      let lowest = Infinity
      let since = performance.now()
      for (;;) {
        const queued = await queue.queuedCount(subscriptions)
        if (failure || enough(queued)) return queued
        if (queued < lowest) [lowest, since] = [queued, performance.now()]
        else if (performance.now() - since > patienceMs) return queued
        report()
        await sleep(pollMs)
      }
    }

    const measureEvery = Math.max(1, Math.floor(window / 4))
    let sinceMeasured = 0
    /**
     * Holds the reading back while delivery is a window behind, so that a file of any size takes flat memory and
     * queue. In a shared queue `depth` counts only what this process has read from it: Redis tells what waits
     * there, and the replay also leaves half of the queue's bytes to what the runtimes sharing it ingest.
     */
    const room = async () => {
      if (pipeline.depth >= window) await pipeline.waitForDepthBelow(window)
      if (!shared || ++sinceMeasured < measureEvery) return
      sinceMeasured = 0
      // Nothing of these subscriptions queued: their delivery cannot free room, so waiting would not end.
      const enough = (queued: number) => queued === 0 || (queued < window && shared.hasRoom(config.queue.maxBytes / 2))
      const queued = await waitOnShared(shared, enough, STALL_WARNING_MS)
      if (!enough(queued) && !failure) {
        // Reading on: should the queue fill, the replay stops with the queue's own words.
        options.logger.warn(
          { queued, store: shared.location },
          `the replayed subscriptions' events in the shared queue have not moved for ${STALL_WARNING_MS / 1000} s: ` +
            'is a runtime that delivers them running?'
        )
      }
    }

    let fileError: EventFileError | undefined
    let drained: DrainResult | undefined
    /** Events of the replayed subscriptions still in a shared queue when the replay stopped waiting for them. */
    let stillShared = 0
    try {
      try {
        for await (const item of source.items) {
          if (failure) break
          read++
          const parsed = item.ok ? parseEvent(item.value, config.ingest.maxEventBytes) : item
          if (!parsed.ok) {
            stats.invalid++
            invalid.add(parsed.reason, item.at, item.ok ? undefined : item.detail)
            continue
          }
          await room()
          storing++
          pipeline
            .accept(parsed.event, { dedup: false })
            .catch((error: Error) => (failure ??= error))
            .finally(() => storing--)
          if (read % 1000 === 0) report()
        }
      } catch (error) {
        if (!(error instanceof EventFileError)) throw error
        fileError = error
      }
      // A shared queue's drain delivers what this process has read, and may leave the rest to the other runtimes
      // (or the next start): the replay is done when the queue has delivered what it put there.
      if (shared) {
        const patienceMs = config.delivery.shutdownTimeoutMs
        stillShared = await waitOnShared(shared, (queued) => queued === 0 && storing === 0, patienceMs)
      }
    } finally {
      // The imports its events went in are followed until they complete, for at most imports.replayWaitMs.
      drained = await parts.close({ waitForImportsMs: config.imports.replayWaitMs })
      report(true)
      bar?.stop()
    }

    const elapsedSeconds = (performance.now() - startedAt) / 1000
    const json = stats.toJSON(pipeline.depth)
    const summary: ReplaySummary = {
      file,
      read,
      invalid: { count: invalid.count, unit: source.unit, reasons: invalid.toJSON() },
      accepted: json.accepted,
      matched: json.matched,
      unmatched: json.unmatched,
      delivered: json.delivered,
      refused: json.refused,
      retried: json.retried,
      deadLettered: json.deadLettered,
      reasons: json.reasons,
      importsPerList: json.importsPerList,
      messagesPerList: json.messagesPerList,
      unchanged: json.unchanged,
      listImports: { ...json.listImports, pending: parts.follower.pendingHere().length },
      deliveredPerList: Object.fromEntries(Object.entries(json.perList).map(([list, c]) => [list, c.delivered])),
      resumed,
      left: Math.max(drained.left, stillShared),
      lost: json.lost,
      elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
      eventsPerSecond: Math.round(read / Math.max(elapsedSeconds, 0.001)),
      deadLetters: parts.queue.durable
        ? `the queue store ${parts.queue.location} (listrak-actions dead-letters list)`
        : config.delivery.deadLetterFile,
      ...(sandbox
        ? {
            sandboxUrl: sandbox.url,
            contacts: sandboxContacts(sandbox.state),
            messages: sandboxMessages(sandbox.state)
          }
        : {})
    }
    // A file that broke before its first event did nothing worth a summary.
    if (fileError && read === 0) throw fileError
    if (fileError)
      throw new ReplayStoppedError(`${fileError.message} The replay stopped there, after ${read} event(s).`, summary)
    if (failure) throw new ReplayStoppedError(`The replay stopped after ${read} events: ${failure.message}`, summary)
    return summary
  } finally {
    if (!options.listrak) await listrak.close()
  }
}
