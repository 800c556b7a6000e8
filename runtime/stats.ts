export interface OutcomeCounts {
  delivered: number
  refused: number
  retried: number
  deadLettered: number
}

const counts = (): OutcomeCounts => ({ delivered: 0, refused: 0, retried: 0, deadLettered: 0 })

/**
 * The list imports this runtime followed up (see runtime/imports/). Their events count as delivered when Listrak
 * took the import (201); those dead-lettered afterwards are counted here, not again under `deadLettered`.
 */
export interface ListImportCounts {
  /** Being followed now. */
  following: number
  /** Taken up: recorded by this runtime, or found in the queue at start. */
  followed: number
  /** Completed, and their per-contact results read. */
  completed: number
  /** Events whose address Listrak's results refused (invalid, banned, suppressed): dead-lettered. */
  refusedRows: number
  /** Not completed within imports.followUpMaxMs. */
  timedOut: number
  /** Answered 404: Listrak does not know them. */
  notFound: number
  /** Their status said they failed. */
  failed: number
  /** Events dead-lettered because their import's outcome is unknown (timed out, not found, failed, stopped). */
  unknownRows: number
}

/** The runtime's counters, as `/stats` and the closing summaries show them. */
export class RuntimeStats {
  startedAt = Date.now()
  /** Events taken in (they passed validation). */
  accepted = 0
  /** Events refused at the door (bad shape, too large), by reason. */
  invalid = 0
  /** Events that matched no enabled subscription. */
  unmatched = 0
  /** (event, subscription) pairs that matched. */
  matched = 0
  /** Events not queued again: their messageId was accepted within the dedup window (a client's retry). */
  duplicates = 0
  /** Events found in the queue store at start, delivered in this run like the ones accepted. */
  resumed = 0
  /** Writes the queue store refused (disk full, disk error); the events concerned stayed queued. */
  storeErrors = 0
  /** Events the in-memory queue could neither deliver nor write as dead letters before exit. */
  lost = 0
  /** The queue's storage, for /stats. */
  queue?: { durable: boolean; location: string; bytes: () => number }
  totals = counts()
  perSubscription = new Map<string, OutcomeCounts & { matched: number }>()
  perList = new Map<string, OutcomeCounts>()
  /** Refusals and give-ups by status and error type, with one example message each. */
  reasons = new Map<string, { count: number; example: string }>()
  /** Import requests accepted by Listrak, per list. */
  imports = new Map<string, Set<string>>()
  /** Transactional messages Listrak accepted, per list. */
  messages = new Map<string, number>()
  /** Delivered events that changed nothing, by Listrak's reason (an unsubscribe of a contact not subscribed). */
  unchanged = new Map<string, number>()
  listImports: ListImportCounts = {
    following: 0,
    followed: 0,
    completed: 0,
    refusedRows: 0,
    timedOut: 0,
    notFound: 0,
    failed: 0,
    unknownRows: 0
  }

  subscription(name: string) {
    let entry = this.perSubscription.get(name)
    if (!entry) this.perSubscription.set(name, (entry = { ...counts(), matched: 0 }))
    return entry
  }

  count(kind: keyof OutcomeCounts, subscription: string, listId: number | undefined, n = 1): void {
    this.totals[kind] += n
    this.subscription(subscription)[kind] += n
    const list = listId === undefined ? '(not sent)' : String(listId)
    let entry = this.perList.get(list)
    if (!entry) this.perList.set(list, (entry = counts()))
    entry[kind] += n
  }

  reason(key: string, message: string, n = 1): void {
    const entry = this.reasons.get(key)
    if (entry) entry.count += n
    else this.reasons.set(key, { count: n, example: message })
  }

  importAccepted(listId: number, resourceId: string): void {
    let ids = this.imports.get(String(listId))
    if (!ids) this.imports.set(String(listId), (ids = new Set()))
    ids.add(resourceId)
  }

  messageSent(listId: number): void {
    const list = String(listId)
    this.messages.set(list, (this.messages.get(list) ?? 0) + 1)
  }

  unchangedBecause(code: string): void {
    this.unchanged.set(code, (this.unchanged.get(code) ?? 0) + 1)
  }

  toJSON(queueDepth: number) {
    return {
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      accepted: this.accepted,
      invalid: this.invalid,
      unmatched: this.unmatched,
      matched: this.matched,
      duplicates: this.duplicates,
      resumed: this.resumed,
      ...this.totals,
      queueDepth,
      storeErrors: this.storeErrors,
      lost: this.lost,
      queue: this.queue && {
        durable: this.queue.durable,
        location: this.queue.location,
        bytes: this.queue.bytes()
      },
      perSubscription: Object.fromEntries(this.perSubscription),
      perList: Object.fromEntries(this.perList),
      importsPerList: Object.fromEntries([...this.imports].map(([list, ids]) => [list, ids.size])),
      messagesPerList: Object.fromEntries(this.messages),
      unchanged: Object.fromEntries(this.unchanged),
      listImports: { ...this.listImports },
      reasons: Object.fromEntries(this.reasons)
    }
  }
}
