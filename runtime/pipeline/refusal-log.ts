import type { Logger } from 'pino'

/** Refusal lines the log takes per interval; past them a flood of refusals is counted, and said in one line. */
export const REFUSAL_LINES_PER_INTERVAL = 20
export const REFUSAL_INTERVAL_MS = 10_000
/** Reasons the "suppressed" line names, the most frequent first. */
const SUPPRESSED_REASONS_SHOWN = 5

/** One dead-lettered event of a settled delivery, as the log tells of it. */
export interface Refusal {
  reason: string
  status: number
  errortype?: string
  listId?: number
  messageId?: string
}

interface Group extends Refusal {
  events: number
}

/**
 * Tells the log why events were dead-lettered, at warn level: one line per delivery and reason (with the list, the
 * status, how many events and one event's messageId), so a batch of 1,000 refused alike is one line. At most
 * `REFUSAL_LINES_PER_INTERVAL` lines per `REFUSAL_INTERVAL_MS`; what comes past them is counted and said in one
 * line when the interval ends (or at `flush`). A reason is the dead letter's, which never holds settings or tokens.
 */
export class RefusalLog {
  private lines = 0
  private windowTimer?: NodeJS.Timeout
  private suppressed = new Map<string, number>()
  private suppressedEvents = 0

  constructor(private readonly logger: Logger) {}

  /** The dead letters of one settled delivery of a subscription. */
  record(subscription: string, action: string, refusals: Refusal[]): void {
    const groups = new Map<string, Group>()
    for (const refusal of refusals) {
      const key = JSON.stringify([refusal.listId, refusal.status, refusal.errortype, refusal.reason])
      const group = groups.get(key)
      if (group) group.events++
      else groups.set(key, { ...refusal, events: 1 })
    }
    for (const { reason, status, errortype, listId, messageId, events } of groups.values()) {
      if (this.lines >= REFUSAL_LINES_PER_INTERVAL) {
        this.suppressedEvents += events
        this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + events)
        continue
      }
      this.lines++
      this.windowTimer ??= setTimeout(() => this.endWindow(), REFUSAL_INTERVAL_MS).unref()
      this.logger.warn(
        {
          subscription,
          action,
          listId: listId ?? 'none',
          status,
          ...(errortype ? { errortype } : {}),
          events,
          sampleMessageId: messageId,
          reason
        },
        'events dead-lettered'
      )
    }
  }

  /** Says what was suppressed so far; at a stop, so that the last interval's count is not lost. */
  flush(): void {
    this.endWindow()
  }

  private endWindow(): void {
    clearTimeout(this.windowTimer)
    this.windowTimer = undefined
    this.lines = 0
    if (this.suppressedEvents === 0) return
    const reasons = [...this.suppressed]
      .sort((a, b) => b[1] - a[1])
      .slice(0, SUPPRESSED_REASONS_SHOWN)
      .map(([reason, events]) => ({ reason, events }))
    this.logger.warn(
      { events: this.suppressedEvents, reasons, otherReasons: Math.max(0, this.suppressed.size - reasons.length) },
      `${this.suppressedEvents} more refusals suppressed (over ${REFUSAL_LINES_PER_INTERVAL} lines in ` +
        `${REFUSAL_INTERVAL_MS / 1000} s); every one is in the dead letters and counted in /stats`
    )
    this.suppressed.clear()
    this.suppressedEvents = 0
  }
}
