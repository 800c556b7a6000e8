import type { ContactOptions, SubscriptionState, UpdateType } from '../api/contacts'
import {
  buildImportFile,
  fitsImportCell,
  ImportFile,
  ImportRow,
  ImportType,
  MAX_ROWS_PER_IMPORT
} from '../api/list-imports'
import type { ContactRequest, ContactSequence } from './plan'
import type { PreparedContact } from './prepare'

/**
 * How contacts go in a list import: `add_and_update` adds new contacts and updates those on the list;
 * `update_only` updates contacts already on the list, unsubscribed ones too, and adds no one. An unsubscribe is a
 * `RemoveSubscribers` import under either.
 */
export const BULK_MODES = ['add_and_update', 'update_only'] as const
export type BulkMode = typeof BULK_MODES[number]

export interface BulkOptions {
  mode: BulkMode
  /** The fewest contacts that make an import; a smaller group goes one request per contact. */
  minContacts: number
}

/** A contact in a planned import: its row, the line it became, and the input indexes of its events, in order. */
export interface PlannedRow extends ImportRow {
  line: string
  eventIndexes: number[]
}

/** One `POST /List/{listId}/ListImport`: the file, and its rows with the events each answers. */
export interface PlannedImport {
  listId: number
  importType: ImportType
  segmentationImportType: UpdateType
  file: ImportFile
  rows: PlannedRow[]
}

/** What a batch sends: list imports, and the contacts that go request by request as before. */
export interface BulkPlan {
  imports: PlannedImport[]
  sequences: ContactSequence[]
}

/** What an import row can say of a contact: an address, a subscription state, an external ID and values. */
interface RowContent {
  emailAddress: string
  subscriptionState?: SubscriptionState
  externalContactID?: string
  values: Iterable<[number, string]>
}

/**
 * The import type that does to the contact what `POST /List/{listId}/Contact` with these options would, or
 * undefined when no import can: events to raise, a double opt-in, a resubscribe, a subscription by the contact or
 * an address change have no counterpart in a file; `update_only` never adds anyone, so it cannot subscribe; a
 * `RemoveSubscribers` file takes no external ID; and a value a file cannot hold stays out (see `fitsImportCell`).
 */
export function importTypeOf(content: RowContent, options: ContactOptions, mode: BulkMode): ImportType | undefined {
  const { eventIds, overrideUnsubscribe, subscribedByContact, sendDoubleOptIn, newEmailAddress } = options
  if (eventIds.length > 0 || overrideUnsubscribe || subscribedByContact || sendDoubleOptIn) return undefined
  if (newEmailAddress !== undefined) return undefined
  const values = [...content.values].map(([, value]) => value)
  const cells = [content.emailAddress, ...(content.externalContactID === undefined ? [] : [content.externalContactID])]
  if (![...cells, ...values].every(fitsImportCell)) return undefined
  if (content.subscriptionState === 'Unsubscribed') {
    return content.externalContactID === undefined ? 'RemoveSubscribers' : undefined
  }
  if (mode === 'update_only') return content.subscriptionState === 'Subscribed' ? undefined : 'UpdateSubscribers'
  // A contact without profile field values has no segmentation data to add, whether it subscribes or leaves its
  // state to Listrak, so both add it as a subscriber alone.
  return values.length > 0 ? 'AddSubscribersAndSegmentationData' : 'AddSubscribers'
}

/** A contact that can go in an import, with what decides which file it shares. */
interface Candidate {
  sequence: number
  listId: number
  importType: ImportType
  segmentationImportType: UpdateType
  row: ImportRow
  eventIndexes: number[]
}

/**
 * The contact's one merged request as an import row, when the contact can go in an import: its requests merged
 * into one, every one of its events could have gone in an import on its own, so that no event's options are lost
 * in the merge, and so can the merged request (an external ID of an earlier event merged into an unsubscribe
 * cannot).
 */
function candidateOf(
  events: PreparedContact[],
  sequence: ContactSequence,
  index: number,
  mode: BulkMode
): Candidate | undefined {
  if (sequence.length !== 1) return undefined
  const [planned]: ContactRequest[] = sequence
  const eventsFit = planned.eventIndexes.every((i) => {
    const prepared = events[i]
    return prepared.ok && importTypeOf(prepared.change, prepared.change.options, mode) !== undefined
  })
  if (!eventsFit) return undefined
  const { emailAddress, subscriptionState, externalContactID, segmentationFieldValues } = planned.contact
  const values = new Map(segmentationFieldValues.map(({ segmentationFieldId, value }) => [segmentationFieldId, value]))
  const importType = importTypeOf({ emailAddress, subscriptionState, externalContactID, values }, planned.options, mode)
  if (!importType) return undefined
  return {
    sequence: index,
    listId: planned.listId,
    importType,
    // An unsubscribe carries no profile field, so the file's strategy for them is moot; Listrak requires one.
    segmentationImportType: importType === 'RemoveSubscribers' ? 'Update' : planned.options.updateType,
    row: { emailAddress, ...(externalContactID === undefined ? {} : { externalContactID }), values },
    eventIndexes: planned.eventIndexes
  }
}

/** The columns of a candidate's file: the external ID's, and its profile fields in ascending order. */
const columnsOf = (row: ImportRow) => ({
  externalContactID: row.externalContactID !== undefined,
  fieldIds: [...row.values.keys()].sort((a, b) => a - b)
})

const addressKey = (listId: number, emailAddress: string) => `${listId}|${emailAddress.toLowerCase()}`

/** The addresses a contact's requests name: its own and, when one changes it, the new one. */
const addressesOf = (sequence: ContactSequence) =>
  sequence.flatMap((planned) => [
    addressKey(planned.listId, planned.contact.emailAddress),
    ...(planned.options.newEmailAddress === undefined
      ? []
      : [addressKey(planned.listId, planned.options.newEmailAddress)])
  ])

/**
 * Pure: which of a batch's contacts go in list imports, and which request by request. `sequences` are the
 * batch's contacts as `planContactRequests` merged them (a contact: a list and an address, compared without case).
 * A contact goes in an import only when all its events merged into one request and each could go in one on its
 * own, and no request of the batch names its address (a change of another contact's address to it, say);
 * otherwise all of it goes as before, so a contact's changes are never split between a file Listrak applies later
 * and requests it applies at once. Contacts are grouped by list, import type, profile field strategy and set of
 * columns, so that every row has a value in every column: what an empty cell does is not documented. A group of
 * at least `minContacts` becomes imports of at most `MAX_ROWS_PER_IMPORT` rows, in the batch's order; a smaller
 * group goes request by request, as importing it would save little.
 */
export function planBulk(events: PreparedContact[], sequences: ContactSequence[], options: BulkOptions): BulkPlan {
  const candidates = sequences.map((sequence, index) => candidateOf(events, sequence, index, options.mode))
  const named = new Set(sequences.flatMap((sequence, index) => (candidates[index] ? [] : addressesOf(sequence))))
  const groups = new Map<string, Candidate[]>()
  for (const candidate of candidates) {
    if (!candidate || named.has(addressKey(candidate.listId, candidate.row.emailAddress))) continue
    const { externalContactID, fieldIds } = columnsOf(candidate.row)
    const key = JSON.stringify([
      candidate.listId,
      candidate.importType,
      candidate.segmentationImportType,
      externalContactID,
      fieldIds
    ])
    const group = groups.get(key)
    if (group) group.push(candidate)
    else groups.set(key, [candidate])
  }

  const imported = new Set<number>()
  const imports: PlannedImport[] = []
  for (const group of groups.values()) {
    if (group.length < options.minContacts) continue
    const [{ listId, importType, segmentationImportType, row }] = group
    for (let start = 0; start < group.length; start += MAX_ROWS_PER_IMPORT) {
      const chunk = group.slice(start, start + MAX_ROWS_PER_IMPORT)
      const { file, lines } = buildImportFile({
        listId,
        importType,
        segmentationImportType,
        ...columnsOf(row),
        rows: chunk.map((candidate) => candidate.row)
      })
      imports.push({
        listId,
        importType,
        segmentationImportType,
        file,
        rows: chunk.map((candidate, r) => ({ ...candidate.row, line: lines[r], eventIndexes: candidate.eventIndexes }))
      })
      for (const candidate of chunk) imported.add(candidate.sequence)
    }
  }
  return { imports, sequences: sequences.filter((_, index) => !imported.has(index)) }
}
