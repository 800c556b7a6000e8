import type { CreatedOutcome, ListrakRequest } from '../api/client'
import type { JSONLikeObject } from '@segment/actions-core'
import { contactQuery, postContact } from '../api/contacts'
import { isRetryableStatus, ListrakFailure } from '../api/errors'
import { postListImport } from '../api/list-imports'
import { listrakErrorCode } from '../api/outcomes'
import type { PlannedImport } from './bulk-plan'
import type { ContactRequest, ContactSequence } from './plan'

export type ContactOutcome =
  | { ok: true; status: number; body: { status: number; resourceId?: string; unchanged?: string } }
  /** `held`: not sent, waiting for an earlier request of its contact that will be retried. */
  | { ok: false; failure: ListrakFailure; held?: true }

/** Listrak's refusals of an unsubscribe whose contact already is where the unsubscribe would put it. */
const NOT_SUBSCRIBED = new Set(['ERROR_UNSUBSCRIBED_EMAIL_ADDRESS', 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS'])

/**
 * Sends one request. An unsubscribe that Listrak refuses because the contact is not subscribed (already
 * unsubscribed, or never subscribed to the list) succeeded in what it asked: it answers 200, with Listrak's code.
 */
export async function sendContactRequest(request: ListrakRequest, planned: ContactRequest): Promise<ContactOutcome> {
  const outcome = await postContact(request, planned.listId, planned.contact, contactQuery(planned.options))
  if (outcome.ok || planned.contact.subscriptionState !== 'Unsubscribed') return outcome
  const code = listrakErrorCode(outcome.failure)
  if (outcome.failure.status !== 400 || code === undefined || !NOT_SUBSCRIBED.has(code)) return outcome
  return { ok: true, status: 200, body: { status: 200, unchanged: code } }
}

/** Whether a failure will be retried, so that what comes after it for the same contact must wait for it. */
const retried = (failure: ListrakFailure) => failure.status === 401 || isRetryableStatus(failure.status)

function waitingFor(failure: ListrakFailure, planned: ContactRequest): ListrakFailure {
  return {
    status: failure.status,
    errortype: failure.errortype,
    message:
      `Not sent: an earlier event of this batch for the same contact on list ${planned.listId} failed and will be ` +
      `retried, and a contact's changes go to Listrak in order; this event is retried with it. (${failure.message})`
  }
}

/**
 * Sends every sequence, sequences concurrently (the request client bounds how many requests are in flight), the
 * requests of one sequence one after another. After a failure that will be retried, the rest of its sequence is
 * not sent, so that a contact's changes never reach Listrak out of order. One outcome per request, in order.
 */
export function sendSequences(request: ListrakRequest, sequences: ContactSequence[]): Promise<ContactOutcome[][]> {
  return Promise.all(
    sequences.map(async (sequence) => {
      const outcomes: ContactOutcome[] = []
      let held: ListrakFailure | undefined
      for (const planned of sequence) {
        if (held) {
          outcomes.push({ ok: false, failure: waitingFor(held, planned), held: true })
          continue
        }
        const outcome = await sendContactRequest(request, planned)
        outcomes.push(outcome)
        if (!outcome.ok && retried(outcome.failure)) held = outcome.failure
      }
      return outcomes
    })
  )
}

/**
 * Starts every import, concurrently with each other and with the contacts' requests (the request client bounds how
 * many are in flight). One outcome per import, in order.
 */
export function sendListImports(request: ListrakRequest, imports: PlannedImport[]): Promise<CreatedOutcome[]> {
  return Promise.all(imports.map((planned) => postListImport(request, planned.listId, planned.file)))
}

/** What was sent for an event: the list, the contact and, when any, the query options. */
export function sentFor(planned: ContactRequest): JSONLikeObject {
  const query = contactQuery(planned.options)
  return { listId: planned.listId, ...planned.contact, ...(Object.keys(query).length > 0 ? { query } : {}) }
}
