import type { DestinationDefinition } from '@segment/actions-core'
import type { Settings } from './generated-types'
import { withUrls } from './api/client'
import { requestAccessToken } from './api/token'
import { LISTRAK_URLS, ListrakUrls } from './api/urls'
import { presets } from './presets'
import { sendTransactionalMessage } from './sendTransactionalMessage'
import { unsubscribeContact } from './unsubscribeContact'
import { updateEmailContactProfileFields } from './updateEmailContactProfileFields'
import { upsertContact } from './upsertContact'

const CREDENTIALS_HINT =
  'Find this on the setup tab of your Segment integration under Integrations > Integrations Management in https://admin.listrak.com.'

/**
 * The destination, its requests going to `urls`. Segment registers the default export, which sends only to
 * Listrak's own URLs; a runtime or a test that stands a sandbox in for Listrak builds one with its URLs here.
 */
export const listrakDestination = (urls: ListrakUrls = LISTRAK_URLS): DestinationDefinition<Settings> => ({
  name: 'Listrak (Actions)',
  slug: 'actions-listrak',
  mode: 'cloud',
  description:
    "Keep Listrak email contacts in step with Segment data, above all Engage audiences: their profile fields (check boxes above all, and Text, Numeric and Date fields) and subscriptions; and send Listrak's transactional messages.",

  authentication: {
    scheme: 'oauth2',
    fields: {
      client_id: {
        label: 'API Client ID',
        description: `Your Listrak API client ID. ${CREDENTIALS_HINT}`,
        type: 'string',
        required: true
      },
      client_secret: {
        label: 'API Client Secret',
        description: `Your Listrak API client secret. ${CREDENTIALS_HINT}`,
        type: 'password',
        required: true
      }
    },
    // Fetching a token is the cheapest call that proves both credentials, and it reports Listrak's own reason.
    // actions-core words a failure "Credentials are invalid: <error.response.status> <message>". Listrak's status
    // is in the message already, and the destination's errors carry no HTTP response, so none is made up for it.
    testAuthentication: async (request, { settings }) => {
      await requestAccessToken(withUrls(request, urls), settings)
    },
    refreshAccessToken: async (request, { settings }) => {
      const { accessToken } = await requestAccessToken(withUrls(request, urls), settings)
      return { accessToken }
    }
  },

  extendRequest: ({ auth }) => (auth?.accessToken ? { headers: { authorization: `Bearer ${auth.accessToken}` } } : {}),

  presets,

  actions: {
    updateEmailContactProfileFields: updateEmailContactProfileFields(urls),
    upsertContact: upsertContact(urls),
    unsubscribeContact: unsubscribeContact(urls),
    sendTransactionalMessage: sendTransactionalMessage(urls)
  }
})

export default listrakDestination()
