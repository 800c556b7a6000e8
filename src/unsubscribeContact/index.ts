import type { ActionDefinition } from '@segment/actions-core'
import { withUrls } from '../api/client'
import { LISTRAK_URLS, ListrakUrls } from '../api/urls'
import { performContact, performContactBatch } from '../contacts/perform'
import type { ContactInput } from '../contacts/prepare'
import type { Settings } from '../generated-types'
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
      logger
    )
})

export default unsubscribeContact()
