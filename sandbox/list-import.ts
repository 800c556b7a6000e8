import type { ListImportSummary } from './contract'
import { applyValues, blockedAddress, ContactList, METHOD, newContact, StoredContact } from './contacts'
import type { ImportFile, ImportRow } from './import-file'
import { checkFieldValues, isEmailAddress } from './validate-import'

/** What became of a row of a list import, in the sandbox's words: Listrak does not list `importResult`'s values. */
export const IMPORT_RESULTS = [
  'Subscribed',
  'Updated',
  'AlreadySubscribed',
  'PreviouslyUnsubscribed',
  'Unsubscribed',
  'AlreadyUnsubscribed',
  'InvalidEmail',
  'Banned',
  'Suppressed',
  'Skipped'
] as const
export type ImportResult = (typeof IMPORT_RESULTS)[number]

/** One row's result, with the line of the file it came from and, when it was skipped, why. */
export interface RowResult {
  line: number
  emailAddress: string
  importResult: ImportResult
  reason?: string
}

/** The list as an import sees it. */
export type ImportList = Pick<ContactList, 'listId' | 'fields' | 'blocked'>

/**
 * Applies one row to the list's contacts (`store`: lower-cased address → contact) and says what became of it.
 * Listrak names the import types without defining them; the sandbox's reading, from `ListImportSummary`'s counts and
 * `includeUnsubscribed`:
 * - every type: an address that is not one is `InvalidEmail`, and nothing is applied;
 * - `AddSubscribers`, `AddSubscribersAndSegmentationData`: a new contact is `Subscribed`; one subscribed already is
 *   `AlreadySubscribed`; one that has unsubscribed is `PreviouslyUnsubscribed` and left as it is (no import
 *   resubscribes). Only the second type writes profile fields, as `segmentationImportType` says (as the contact
 *   route's `updateType`), to the contacts it subscribes or finds subscribed;
 * - `UpdateSubscribers`: a contact not on the list is `Skipped`; one that has unsubscribed is `PreviouslyUnsubscribed`,
 *   unless `includeUnsubscribed` updates it too; the others are `Updated`;
 * - `RemoveSubscribers`: a subscribed contact is `Unsubscribed`, any other address `AlreadyUnsubscribed`; profile
 *   fields are not written (the contact route refuses an unsubscribe with profile data);
 * - the types that subscribe or update: a banned or suppressed address is `Banned` or `Suppressed`, and a row whose
 *   profile value does not fit its field is `Skipped`, with the reason.
 * An empty cell takes its column's `defaultValue`, if it has one; the external ID is written when its cell holds one.
 */
function applyRow(
  list: ImportList,
  store: Map<string, StoredContact>,
  file: ImportFile,
  row: ImportRow,
  at: string
): Omit<RowResult, 'line' | 'emailAddress'> {
  const { columns, importType } = file
  const emailAddress = row.cells[columns.email]
  if (!isEmailAddress(emailAddress)) return { importResult: 'InvalidEmail' }
  const key = emailAddress.toLowerCase()
  const contact = store.get(key)
  if (importType === 'RemoveSubscribers') {
    if (contact?.subscriptionState !== 'Subscribed') return { importResult: 'AlreadyUnsubscribed' }
    contact.subscriptionState = 'Unsubscribed'
    contact.unsubscribeDate = at
    contact.unsubscribeMethod = METHOD.LIST_IMPORT
    return { importResult: 'Unsubscribed' }
  }
  const blocked = blockedAddress(list, emailAddress)
  if (blocked) return { importResult: blocked }
  const writesFields = importType !== 'AddSubscribers'
  const values = writesFields
    ? columns.fields.map(({ fileColumn, segmentationFieldId, defaultValue }) => {
        const cell = row.cells[fileColumn]
        return { segmentationFieldId, value: cell === '' && defaultValue !== null ? defaultValue : cell }
      })
    : []
  const filled = values.filter(({ value }) => value !== '')
  const problem = checkFieldValues(list.listId, list.fields, filled, `line ${row.line}`)
  if (problem) return { importResult: 'Skipped', reason: problem.message }
  const externalContactID = columns.externalContactID === null ? '' : row.cells[columns.externalContactID]
  const write = (target: StoredContact) => {
    applyValues(target.fields, values, file.segmentationImportType)
    if (externalContactID !== '') target.externalContactID = externalContactID
  }
  if (importType === 'UpdateSubscribers') {
    if (!contact) return { importResult: 'Skipped', reason: `not a contact of list ${list.listId}` }
    if (contact.subscriptionState === 'Unsubscribed' && !file.includeUnsubscribed) {
      return { importResult: 'PreviouslyUnsubscribed' }
    }
    write(contact)
    return { importResult: 'Updated' }
  }
  if (contact?.subscriptionState === 'Unsubscribed') return { importResult: 'PreviouslyUnsubscribed' }
  if (contact) {
    if (writesFields) write(contact)
    return { importResult: 'AlreadySubscribed' }
  }
  const created = newContact(emailAddress, METHOD.LIST_IMPORT, at)
  store.set(key, created)
  write(created)
  return { importResult: 'Subscribed' }
}

/** Applies an import's rows to the list's contacts, in the file's order; a bad row fails alone. */
export function applyImportRows(
  list: ImportList,
  store: Map<string, StoredContact>,
  file: ImportFile,
  at: string
): RowResult[] {
  return file.rows.map((row) => ({
    line: row.line,
    emailAddress: row.cells[file.columns.email],
    ...applyRow(list, store, file, row, at)
  }))
}

/** Which count of `ListImportSummary` each result adds to; `Updated` is counted as processed only. */
const COUNTED_AS: Record<ImportResult, keyof ListImportSummary | undefined> = {
  Subscribed: 'subscribedCount',
  Updated: undefined,
  AlreadySubscribed: 'alreadySubscribedCount',
  PreviouslyUnsubscribed: 'previouslyUnsubscribedCount',
  Unsubscribed: 'unsubscribedCount',
  AlreadyUnsubscribed: 'alreadyUnsubscribedCount',
  InvalidEmail: 'invalidEmailCount',
  Banned: 'bannedCount',
  Suppressed: 'suppressedCount',
  Skipped: 'skippedCount'
}

/** `ListImportSummary` of an import's results: zeros while it has none. */
export function importSummary(results: readonly Pick<RowResult, 'importResult'>[]): ListImportSummary {
  const summary: ListImportSummary = {
    alreadySubscribedCount: 0,
    alreadyUnsubscribedCount: 0,
    bannedCount: 0,
    invalidEmailCount: 0,
    previouslyUnsubscribedCount: 0,
    processedCount: results.length,
    skippedCount: 0,
    subscribedCount: 0,
    suppressedCount: 0,
    unsubscribedCount: 0
  }
  for (const { importResult } of results) {
    const count = COUNTED_AS[importResult]
    if (count) summary[count]++
  }
  return summary
}
