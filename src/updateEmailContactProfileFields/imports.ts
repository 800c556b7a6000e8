import { MultiStatusResponse } from '@segment/actions-core'
import type { ContactSegmentationFieldValues, ImportOutcome } from '../api/import'
import type { PreparedEvent } from './prepare'

/** Contacts in one import request: Listrak refuses large payloads (with a 404), so imports are cut here. */
export const MAX_CONTACTS_PER_IMPORT = 1000

export interface PlannedImport {
  listId: number
  contacts: ContactSegmentationFieldValues[]
  /** For each contact, the input indexes of the events merged into it. */
  eventIndexes: number[][]
}

interface MergedContact {
  emailAddress: string
  values: Map<number, string>
  eventIndexes: number[]
}

/**
 * Groups valid events by list, merges events for the same address (compared without case; for each field the
 * later event wins) and cuts each list into imports of at most `maxContacts` contacts.
 */
export function planImports(events: PreparedEvent[], maxContacts = MAX_CONTACTS_PER_IMPORT): PlannedImport[] {
  const lists = new Map<number, Map<string, MergedContact>>()
  events.forEach((prepared, index) => {
    if (!prepared.ok) return
    const { listId, emailAddress, values } = prepared.event
    let contacts = lists.get(listId)
    if (!contacts) lists.set(listId, (contacts = new Map<string, MergedContact>()))
    const key = emailAddress.toLowerCase()
    const contact = contacts.get(key)
    if (!contact) {
      contacts.set(key, { emailAddress, values: new Map(values), eventIndexes: [index] })
      return
    }
    for (const [id, value] of values) contact.values.set(id, value)
    contact.eventIndexes.push(index)
  })

  const imports: PlannedImport[] = []
  for (const [listId, contacts] of lists) {
    const merged = [...contacts.values()]
    for (let start = 0; start < merged.length; start += maxContacts) {
      const chunk = merged.slice(start, start + maxContacts)
      imports.push({
        listId,
        contacts: chunk.map(({ emailAddress, values }) => ({
          emailAddress,
          segmentationFieldValues: [...values].map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
        })),
        eventIndexes: chunk.map((contact) => contact.eventIndexes)
      })
    }
  }
  return imports
}

/** What was sent for an event, naming the keys of its mapping that were left out, when there were any. */
function withIgnoredKeys<T extends object>(
  sent: T,
  prepared: PreparedEvent
): T & { ignoredProfileFieldKeys?: string[] } {
  return prepared.ok && prepared.ignored.length > 0 ? { ...sent, ignoredProfileFieldKeys: prepared.ignored } : sent
}

/**
 * One result per input event, in input order: refused events carry their reason; the others carry the outcome
 * of the import that held their contact, and as `sent` that contact with its list (and the keys of the event's
 * mapping that were left out).
 */
export function toMultiStatus(
  events: PreparedEvent[],
  imports: PlannedImport[],
  outcomes: ImportOutcome[]
): MultiStatusResponse {
  const response = new MultiStatusResponse()
  events.forEach((prepared, index) => {
    if (!prepared.ok) {
      const { status, errortype, body } = prepared.failure ?? { status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' }
      response.setErrorResponseAtIndex(index, {
        status,
        errortype,
        errormessage: prepared.message,
        ...(body === undefined ? {} : { body })
      })
    }
  })
  imports.forEach((planned, i) => {
    const outcome = outcomes[i]
    planned.eventIndexes.forEach((indexes, c) => {
      const contact = { listId: planned.listId, ...planned.contacts[c] }
      for (const index of indexes) {
        const sent = withIgnoredKeys(contact, events[index])
        if (outcome.ok) {
          response.setSuccessResponseAtIndex(index, { status: outcome.status, sent, body: outcome.body })
        } else {
          const { status, errortype, message, body } = outcome.failure
          response.setErrorResponseAtIndex(index, {
            status,
            errortype,
            errormessage: message,
            sent,
            ...(body === undefined ? {} : { body })
          })
        }
      }
    })
  })
  return response
}
