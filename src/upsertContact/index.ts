import type { ActionDefinition } from '@segment/actions-core'
import { withUrls } from '../api/client'
import { LISTRAK_URLS, ListrakUrls } from '../api/urls'
import { SUBSCRIPTION_STATES } from '../api/contacts'
import { BULK_MODES, BulkOptions } from '../contacts/bulk-plan'
import { performContact, performContactBatch } from '../contacts/perform'
import type { ContactInput } from '../contacts/prepare'
import type { Settings } from '../generated-types'
import { bulkThresholdOf } from '../mapping/bulk-import'
import { concurrencyOf } from '../mapping/one-per-request'
import { dynamicFields } from './dynamic-fields'
import { fields } from './fields'
import type { Payload } from './generated-types'

/** The contact an event asks for, with where its `useAudienceKey` values read the membership. */
const toInput = (payload: Payload, resolvedMembership?: boolean): ContactInput => ({
  listId: payload.listId,
  emailAddress: payload.emailAddress,
  subscriptionState: SUBSCRIPTION_STATES.find((state) => state === payload.subscriptionState),
  externalContactID: payload.externalContactID,
  profileFieldValues: payload.profileFieldValues,
  eventIds: payload.eventIds,
  overrideUnsubscribe: payload.overrideUnsubscribe,
  subscribedByContact: payload.subscribedByContact,
  sendDoubleOptIn: payload.sendDoubleOptIn,
  updateType: payload.updateType,
  newEmailAddress: payload.newEmailAddress,
  membership: {
    traitsOrProps: payload.traits_or_props,
    audienceKey: payload.segment_audience_key,
    resolvedMembership,
    eventName: payload.event_name
  }
})

/** Whether the mapping sends large batches in list imports, and how: "off", or no mode it knows, sends none. */
const bulkOf = (payload?: Payload): BulkOptions | undefined => {
  const mode = BULK_MODES.find((m) => m === payload?.bulk_import)
  return mode && { mode, minContacts: bulkThresholdOf(payload?.bulk_min_contacts) }
}

/** The action, its requests going to `urls`: Listrak's own unless a runtime or a test gives others. */
export const upsertContact = (urls: ListrakUrls = LISTRAK_URLS): ActionDefinition<Settings, Payload> => ({
  title: 'Create or Update Contact',
  description:
    'Create the contact on the list or update it: its subscription, external ID and profile fields, and events to raise.',
  fields,

  dynamicFields: dynamicFields(urls),

  perform: (request, { payload, audienceMembership, settings, logger }) =>
    performContact(withUrls(request, urls), settings, toInput(payload, audienceMembership), logger),

  performBatch: (request, { payload, audienceMembership, settings, logger }) =>
    performContactBatch(
      withUrls(request, urls),
      settings,
      payload.map((p, i) => toInput(p, audienceMembership?.[i])),
      concurrencyOf(payload[0]?.max_concurrent_requests),
      logger,
      bulkOf(payload[0])
    )
})

export default upsertContact()
