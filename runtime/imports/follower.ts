import type { Logger } from 'pino'
import type { ListrakRequest } from '../../src/api/client'
import type { ListrakFailure } from '../../src/api/errors'
import { TokenCache, withToken } from '../pipeline/tokens'
import {
  FollowUp,
  FollowUpEnd,
  FollowUpInput,
  followUpId,
  FollowUpKey,
  FollowUpOutcome,
  ImportFollowUps,
  keyOf
} from '../queue/follow-ups'
import type { RuntimeStats } from '../stats'
import { readImportResults, readImportStatus } from './listrak-reads'
import { completedEnd, importState, unknownEnd } from './results'
import { deadlineOf, firstPollAt, FollowUpTiming, nextPollAt } from './schedule'

export interface FollowerOptions extends FollowUpTiming {
  /** Whether the queue outlives the process: if not, a stop dead-letters what it still follows, as unknown. */
  durable: boolean
  /** A request client for Listrak with a token (a test gives its own). */
  connect?: (accessToken: string) => ListrakRequest
  now?: () => number
}

/** Polls at once, over every import: the follower's reads never crowd the deliveries out. */
const MAX_POLLS_IN_FLIGHT = 4
/** How often the store is looked at for imports recorded by other runtimes (a shared queue), at most. */
const MAX_TICK_MS = 1000

/** A store operation refused because the follower stopped: the poll that wanted it ends without a word. */
class FollowerStopped extends Error {}

interface Tracked {
  followUp: FollowUp
  /** Polls made by this process: the wait before the next one doubles with them. */
  polled: number
  nextAt: number
  polling: boolean
  /** This process has held its lease: it is one this runtime follows. */
  claimed: boolean
}

/**
 * Follows each list import the runtime started until Listrak's per-contact results say which addresses it refused:
 * polls the import's status with backoff (`firstPollMs`, doubling, capped at `maxPollMs`), reads every page of its
 * results once it completes, and dead-letters the events of refused addresses; an import that does not complete
 * within `followUpMaxMs`, that Listrak does not know, or whose status says it failed has every event dead-lettered,
 * its outcome unknown. A read that fails (no answer, 5xx, 429) is tried again at the next poll; a refused token is
 * renewed first. What it follows lives in the queue (see queue/follow-ups.ts), so a restart goes on following.
 */
export class ImportFollower {
  private readonly tracked = new Map<string, Tracked>()
  /** Imports recorded by this process since it started: what a replay waits for. */
  private readonly recordedHere = new Set<string>()
  private readonly inFlight = new Set<Promise<void>>()
  /** Store operations under way: a stop waits for them, and the queue closes only after. */
  private readonly storeOps = new Set<Promise<unknown>>()
  private timer?: NodeJS.Timeout
  private scanning?: Promise<void>
  private stopped = false
  /** A stop of an in-memory queue dead-letters what is left: its own store operations go through. */
  private finalizing = false
  private readonly now: () => number
  private readonly connect: (accessToken: string) => ListrakRequest
  private client?: { token: string; request: ListrakRequest }

  constructor(
    private readonly store: ImportFollowUps,
    private readonly tokens: TokenCache,
    private readonly stats: RuntimeStats,
    private readonly logger: Logger,
    private readonly options: FollowerOptions
  ) {
    this.now = options.now ?? Date.now
    this.connect = options.connect ?? withToken
  }

  start(): void {
    if (this.timer || this.stopped) return
    const tickMs = Math.max(10, Math.min(MAX_TICK_MS, this.options.firstPollMs))
    this.timer = setInterval(() => this.tick(), tickMs)
    // It only polls: it must not keep a process alive that has nothing else to do (a wait holds one of its own).
    this.timer.unref()
    this.tick()
  }

  /** The pipeline stored these follow-ups with a settlement: they are polled from `firstPollMs` on. */
  recorded(subscription: string, followUps: FollowUpInput[]): void {
    const at = this.now()
    for (const { listId, importFileId, importType, rows } of followUps) {
      const key = { subscription, listId, importFileId }
      const id = followUpId(key)
      this.recordedHere.add(id)
      if (this.tracked.has(id) || this.stopped) continue
      const followUp: FollowUp = {
        ...key,
        ...(importType ? { importType } : {}),
        startedAt: new Date(at).toISOString(),
        rows: rows.length,
        polls: 0
      }
      this.track(followUp)
    }
  }

  /** Imports recorded by this process and not finished yet. */
  pendingHere(): FollowUpKey[] {
    return [...this.recordedHere].flatMap((id) => {
      const tracked = this.tracked.get(id)
      return tracked ? [keyOf(tracked.followUp)] : []
    })
  }

  private track(followUp: FollowUp): void {
    const startedAt = Date.parse(followUp.startedAt)
    this.tracked.set(followUpId(followUp), {
      followUp,
      polled: 0,
      nextAt: firstPollAt(this.now(), Number.isFinite(startedAt) ? startedAt : this.now(), this.options),
      polling: false,
      claimed: false
    })
  }

  private tick(): void {
    if (this.stopped || this.scanning) return
    this.scanning = this.scan()
      .catch((error: Error) => this.logger.error({ err: error.message }, 'could not read the list imports to follow'))
      .finally(() => {
        this.scanning = undefined
        this.pollDue()
      })
  }

  /** Takes up what the store holds and this process does not follow yet; lets go of what another runtime finished. */
  private async scan(): Promise<void> {
    const stored = await this.store.following()
    const ids = new Set(stored.map(followUpId))
    for (const followUp of stored) {
      const tracked = this.tracked.get(followUpId(followUp))
      if (!tracked) this.track(followUp)
      else if (!tracked.polling) tracked.followUp = { ...tracked.followUp, ...followUp }
    }
    for (const [id, tracked] of this.tracked) {
      // Recorded here just now, and not stored yet when the store was read: kept.
      if (!ids.has(id) && !tracked.polling && Date.parse(tracked.followUp.startedAt) < this.now() - MAX_TICK_MS)
        this.untrack(id)
    }
  }

  private untrack(id: string): void {
    const tracked = this.tracked.get(id)
    if (!tracked) return
    this.tracked.delete(id)
    if (tracked.claimed) this.stats.listImports.following--
  }

  private pollDue(): void {
    const now = this.now()
    for (const [id, tracked] of this.tracked) {
      if (this.stopped || this.inFlight.size >= MAX_POLLS_IN_FLIGHT) return
      if (tracked.polling || tracked.nextAt > now) continue
      tracked.polling = true
      const poll: Promise<void> = this.poll(id, tracked)
        .catch((error: Error) => {
          // Stopped meanwhile: the follow-up stays as it is in a durable queue, for the next start.
          if (error instanceof FollowerStopped || this.stopped) return
          this.logger.error(
            { ...keyOf(tracked.followUp), err: error.message },
            'following a list import failed; it is tried again'
          )
          this.reschedule(tracked)
        })
        .finally(() => {
          tracked.polling = false
          this.inFlight.delete(poll)
        })
      this.inFlight.add(poll)
    }
  }

  /**
   * A store operation of a poll. Once the follower stopped none starts (the queue is about to close): the poll ends
   * there, and what Listrak answered it is not used.
   */
  private touch<T>(operation: () => Promise<T>): Promise<T> {
    if (this.stopped && !this.finalizing) return Promise.reject(new FollowerStopped())
    const running = operation()
    this.storeOps.add(running)
    const done = () => this.storeOps.delete(running)
    running.then(done, done)
    return running
  }

  private reschedule(tracked: Tracked): void {
    const startedAt = Date.parse(tracked.followUp.startedAt)
    tracked.nextAt = nextPollAt(this.now(), tracked.polled, startedAt, this.options)
    tracked.polled++
  }

  private async request(): Promise<{ token: string; request: ListrakRequest }> {
    const token = await this.tokens.get()
    if (this.client?.token !== token) this.client = { token, request: this.connect(token) }
    return this.client
  }

  /** One poll of one import: its status, then, once it completed, its results, and its end. */
  private async poll(id: string, tracked: Tracked): Promise<void> {
    const { followUp } = tracked
    const key = keyOf(followUp)
    // A runtime holds an import between two polls at the longest wait, and a while more.
    if (!(await this.touch(() => this.store.claim(key, 2 * this.options.maxPollMs + 10_000)))) {
      // Another runtime follows it: this one looks again later, and takes it up should that one stop.
      tracked.nextAt = this.now() + this.options.maxPollMs
      return
    }
    if (!tracked.claimed) {
      tracked.claimed = true
      this.stats.listImports.followed++
      this.stats.listImports.following++
    }
    const deadline = deadlineOf(Date.parse(followUp.startedAt), this.options)
    const { token, request } = await this.request()
    const status = await readImportStatus(request, followUp.listId, followUp.importFileId)
    if (!status.ok) return this.failed(id, tracked, token, status.failure, deadline)
    followUp.status = status.data.status ?? undefined
    followUp.polls++
    const checkedAt = new Date(this.now()).toISOString()
    const progress = { ...(followUp.status ? { status: followUp.status } : {}), checkedAt, polls: followUp.polls }
    await this.touch(() => this.store.progress(key, progress))
    followUp.checkedAt = checkedAt
    const state = importState(status.data)
    if (state === 'failed') return this.finish(id, tracked, 'failed')
    if (state === 'pending') {
      if (this.now() >= deadline) return this.finish(id, tracked, 'timed-out')
      return this.reschedule(tracked)
    }
    const results = await readImportResults(request, followUp.listId, followUp.importFileId)
    if (!results.ok) return this.failed(id, tracked, token, results.failure, deadline)
    const rows = await this.touch(() => this.store.rows(key))
    await this.end(id, tracked, completedEnd(followUp, rows, results.results, checkedAt))
  }

  /** A read that failed: a 404 ends the follow-up; anything else is tried again until the bound. */
  private async failed(
    id: string,
    tracked: Tracked,
    token: string,
    failure: ListrakFailure,
    deadline: number
  ): Promise<void> {
    const said = failure.said ?? failure.network?.code ?? failure.message
    if (failure.status === 404) return this.finish(id, tracked, 'not-found', said)
    // A refused token is renewed before the next poll; the message never carries it.
    if (failure.status === 401) this.tokens.invalidate(token)
    if (this.now() >= deadline) return this.finish(id, tracked, 'timed-out', said)
    this.logger.warn(
      { ...keyOf(tracked.followUp), status: failure.status, err: failure.message },
      'could not read a list import from Listrak; it is tried again'
    )
    this.reschedule(tracked)
  }

  private async finish(
    id: string,
    tracked: Tracked,
    outcome: Exclude<FollowUpOutcome, 'completed'>,
    said?: string
  ): Promise<void> {
    const rows = await this.touch(() => this.store.rows(keyOf(tracked.followUp)))
    const finishedAt = new Date(this.now()).toISOString()
    const detail = { followUpMaxMs: this.options.followUpMaxMs, ...(said ? { said } : {}) }
    await this.end(id, tracked, unknownEnd(tracked.followUp, rows, outcome, finishedAt, detail))
  }

  /** Stores the end (the dead letters and the report in one transaction), counts it and logs it. */
  private async end(id: string, tracked: Tracked, end: FollowUpEnd): Promise<void> {
    const finished = await this.touch(() => this.store.finish(keyOf(tracked.followUp), end))
    this.untrack(id)
    if (!finished) return
    const { report, letters } = end
    const counts = this.stats.listImports
    const where = { ...keyOf(report), rows: report.rows, status: report.status }
    if (report.outcome === 'completed') {
      counts.completed++
      counts.refusedRows += letters.length
      if (letters.length === 0) {
        this.logger.info(where, 'list import completed: Listrak took every address')
        return
      }
      const results: Record<string, number> = {}
      for (const { importResult } of report.refusals) results[importResult] = (results[importResult] ?? 0) + 1
      this.logger.warn(
        { ...where, deadLettered: letters.length, results, messageId: letters[0].event.messageId },
        'list import completed: Listrak refused addresses; their events are dead-lettered'
      )
      return
    }
    if (report.outcome === 'timed-out') counts.timedOut++
    if (report.outcome === 'not-found') counts.notFound++
    if (report.outcome === 'failed') counts.failed++
    counts.unknownRows += letters.length
    this.logger.warn(
      { ...where, outcome: report.outcome, deadLettered: letters.length, reason: letters[0]?.reason },
      "list import's outcome unknown; its events are dead-lettered"
    )
  }

  /**
   * Stops following. With `waitMs`, first goes on until the imports recorded by this process have finished, for at
   * most that long. A read of Listrak under way is not waited for (a stop must not wait out Listrak's timeouts): its
   * answer is dropped, and the import polled again at the next start. Store operations under way end first. A
   * durable queue keeps what is still followed for the next start; an in-memory queue would lose it, so it is
   * dead-lettered, its outcome unknown. Returns the imports recorded here and not finished.
   */
  async stop(waitMs = 0): Promise<FollowUpKey[]> {
    if (waitMs > 0 && !this.stopped) await this.waitForRecorded(waitMs)
    this.stopped = true
    clearInterval(this.timer)
    await this.scanning
    await Promise.allSettled([...this.storeOps])
    const pending = this.pendingHere()
    if (!this.options.durable) {
      this.finalizing = true
      for (const [id, tracked] of [...this.tracked]) {
        await this.finish(id, tracked, 'stopped').catch((error: Error) =>
          this.logger.error({ ...keyOf(tracked.followUp), err: error.message }, 'could not dead-letter a list import')
        )
      }
      this.finalizing = false
    }
    return pending
  }

  private async waitForRecorded(waitMs: number): Promise<void> {
    const until = this.now() + waitMs
    // A timer of its own, not unref'd: a replay waiting here has nothing else keeping it alive between polls.
    while (this.pendingHere().length > 0 && this.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, until - this.now()))))
    }
  }
}
