import type { ActionDefinition } from '@segment/actions-core'
import { withUrls } from '../api/client'
import { LISTRAK_URLS, ListrakUrls } from '../api/urls'
import type { BulkOptions } from '../contacts/bulk-plan'
import { performContact, performContactBatch } from '../contacts/perform'
import type { ContactInput } from '../contacts/prepare'
import type { Settings } from '../generated-types'
import { bulkThresholdOf } from '../mapping/bulk-import'
import { listChoices } from '../mapping/dynamic-fields'
import { concurrencyOf } from '../mapping/one-per-request'
import { fields } from './fields'
import type { Payload } from './generated-types'

/** Always an unsubscribe, and nothing that could subscribe anyone: no state to choose, no override, no events. */
const toInput = (payload: Payload): ContactInput => ({
  listId: payload.listId,
  emailAddress: payload.emailAddress,
  subscriptionState: 'Unsubscribed',
  externalContactID: payload.externalContactID
})

/**
 * Whether the mapping sends large batches in list imports. Every event is an unsubscribe, which an import of either
 * mode carries as `RemoveSubscribers`; `update_only` is named as the one that never adds anyone.
 */
const bulkOf = (payload?: Payload): BulkOptions | undefined =>
  payload?.bulk_import === true
    ? { mode: 'update_only', minContacts: bulkThresholdOf(payload.bulk_min_contacts) }
    : undefined

/** The action, its requests going to `urls`: Listrak's own unless a runtime or a test gives others. */
export const unsubscribeContact = (urls: ListrakUrls = LISTRAK_URLS): ActionDefinition<Settings, Payload> => ({
  title: 'Unsubscribe Contact',
  description:
    'Unsubscribe the contact from the list. It never subscribes anyone; a contact Listrak says is not subscribed counts as done.',
  fields,

  dynamicFields: { listId: (request) => listChoices(withUrls(request, urls)) },

  perform: (request, { payload, settings, logger }) =>
    performContact(withUrls(request, urls), settings, toInput(payload), logger),

  performBatch: (request, { payload, settings, logger }) =>
    performContactBatch(
      withUrls(request, urls),
      settings,
      payload.map(toInput),
      concurrencyOf(payload[0]?.max_concurrent_requests),
      logger,
      bulkOf(payload[0])
    )
})

export default unsubscribeContact()
