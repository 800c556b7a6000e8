/**
 * The per-contact merge the contact actions share (email addresses, SMS phones): a batch's events become, per
 * contact, a sequence of requests sent one after another, each answering the events merged into it.
 */

/** A request as merged so far, with the input indexes of the events it answers, in order. */
export interface Merged<P> {
  merged: P
  eventIndexes: number[]
}

/** What an action says of its changes: whose they are, and when two make one request. */
export interface MergeRules<C, P> {
  /** Whose change it is: changes with one key are one contact's, sent in the order of the batch. */
  key(change: C): string
  /** The request a change starts, a copy the merge may change. */
  start(change: C): P
  /** Whether `next` can join `pending` so that one request does what the two would do one after the other. */
  canMerge(pending: P, next: C): boolean
  /** Merges `next` into `pending`: the later event wins field by field. */
  merge(pending: P, next: C): void
  /** The key the contact goes by after the change, when the change gives it another (a new address). */
  renamed?(change: C): string | undefined
}

/**
 * Pure: the sequences a batch sends, one per contact, in the order each contact first appears. An event (skipped
 * where `changes` has none: a refused event) joins its contact's last request when the rules let it, or starts the
 * contact's next request.
 */
export function planSequences<C, P>(changes: (C | undefined)[], rules: MergeRules<C, P>): Merged<P>[][] {
  const sequences: Merged<P>[][] = []
  const byKey = new Map<string, Merged<P>[]>()
  changes.forEach((change, index) => {
    if (change === undefined) return
    const key = rules.key(change)
    let sequence = byKey.get(key)
    if (!sequence) {
      sequence = []
      sequences.push(sequence)
      byKey.set(key, sequence)
    }
    const last = sequence[sequence.length - 1]
    if (last && rules.canMerge(last.merged, change)) {
      rules.merge(last.merged, change)
      last.eventIndexes.push(index)
    } else {
      sequence.push({ merged: rules.start(change), eventIndexes: [index] })
    }
    const renamed = rules.renamed?.(change)
    if (renamed !== undefined) byKey.set(renamed, sequence)
  })
  return sequences
}
