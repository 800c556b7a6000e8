import type { ActionDefinition, DynamicFieldResponse, RequestFn } from '@segment/actions-core'
import { ListrakRequest, withUrls } from '../api/client'
import type { ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import { getEvents } from '../api/events'
import { choicesOfList, listChoices, profileFieldKeyChoices, profileFieldValueChoices } from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

/** The chosen list's events, as "Welcome Series (3001)"; a blocked event says so. */
function eventChoices(
  request: ListrakRequest,
  payload: { listId?: unknown } | undefined
): Promise<DynamicFieldResponse> {
  return choicesOfList(
    payload,
    'events',
    (listId) => getEvents(request, listId),
    (e) => {
      const details = [String(e.eventId), ...(e.status && e.status !== 'Active' ? [e.status] : [])].join(', ')
      return { label: `${e.eventName || `Event ${e.eventId}`} (${details})`, value: String(e.eventId) }
    }
  )
}

type Dynamic = RequestFn<Settings, Payload, DynamicFieldResponse>

/** Choices for List ID, the keys and values of Profile Field Values, and Event IDs, read from the Listrak account. */
export function dynamicFields(urls: ListrakUrls): ActionDefinition<Settings, Payload>['dynamicFields'] {
  const choices: Record<string, Dynamic | Record<string, Dynamic>> = {
    listId: (request) => listChoices(withUrls(request, urls)),
    profileFieldValues: {
      __keys__: (request, { payload }) => profileFieldKeyChoices(withUrls(request, urls), payload),
      __values__: (request, { payload, dynamicFieldContext }) =>
        profileFieldValueChoices(withUrls(request, urls), payload, dynamicFieldContext?.selectedKey, {
          withAudienceKey: true
        })
    },
    eventIds: (request, { payload }) => eventChoices(withUrls(request, urls), payload)
  }
  // actions-core calls the function of a field that takes several values like any other's, but its type for such
  // a field is `never`; the functions are typed above instead.
  return choices as ActionDefinition<Settings, Payload>['dynamicFields']
}
