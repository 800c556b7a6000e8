import { PayloadValidationError } from '@segment/actions-core'
import type { ActionDefinition } from '@segment/actions-core'
import { withUrls } from '../api/client'
import { limitRequests } from '../api/limit'
import { LISTRAK_URLS, ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import { concurrencyOf } from '../mapping/one-per-request'
import { dynamicFields } from './dynamic-fields'
import { fields } from './fields'
import type { Payload } from './generated-types'
import { messageFailureToError } from './outcome'
import { prepareMessages } from './prepare'
import { sendMessage, sendMessages } from './send'

/** The action, its requests going to `urls`: Listrak's own unless a runtime or a test gives others. */
export const sendTransactionalMessage = (urls: ListrakUrls = LISTRAK_URLS): ActionDefinition<Settings, Payload> => ({
  title: 'Send Transactional Message',
  description:
    'Send a transactional message of the list to the contact, with merge values. Each event sends one message; one ' +
    'whose outcome is unknown (no answer after sending) is not retried, so that no one gets it twice.',
  fields,

  dynamicFields: dynamicFields(urls),

  perform: async (unbound, { payload, settings, logger }) => {
    const request = withUrls(unbound, urls)
    const [prepared] = await prepareMessages(request, settings, [payload], logger)
    if (!prepared.ok) throw new PayloadValidationError(prepared.message)
    const outcome = await sendMessage(request, prepared.send)
    if (!outcome.ok) throw messageFailureToError(outcome.failure)
    return { listId: prepared.send.listId, ...outcome.body }
  },

  performBatch: async (unlimited, { payload, settings, logger }) => {
    const request = limitRequests(withUrls(unlimited, urls), concurrencyOf(payload[0]?.max_concurrent_requests))
    return sendMessages(request, await prepareMessages(request, settings, payload, logger))
  }
})

export default sendTransactionalMessage()
