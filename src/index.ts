import type { DestinationDefinition, RefreshAccessTokenResult } from '@segment/actions-core'
import type { Settings } from './generated-types'
import { requestAccessToken } from './api/token'
import { presets } from './presets'
import sendTransactionalMessage from './sendTransactionalMessage'
import unsubscribeContact from './unsubscribeContact'
import updateEmailContactProfileFields from './updateEmailContactProfileFields'
import upsertContact from './upsertContact'

const CREDENTIALS_HINT =
  'Find this on the setup tab of your Segment integration under Integrations > Integrations Management in https://admin.listrak.com.'

const destination: DestinationDefinition<Settings> = {
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
    testAuthentication: async (request, { settings }) => {
      try {
        await requestAccessToken(request, settings)
      } catch (error) {
        // actions-core words this "Credentials are invalid: <error.response.status> <message>"; without a response
        // the status is blank, so the error carries the status it stands for.
        const status = (error as { status?: number }).status
        throw Object.assign(error as Error, { response: { status } })
      }
    },
    // `expiresIn` is beyond actions-core's result type: runtimes that cache tokens read it, others ignore it.
    refreshAccessToken: async (request, { settings }) => {
      const token: RefreshAccessTokenResult & { expiresIn?: number } = await requestAccessToken(request, settings)
      return token
    }
  },

  extendRequest: ({ auth }) => (auth?.accessToken ? { headers: { authorization: `Bearer ${auth.accessToken}` } } : {}),

  presets,

  actions: {
    updateEmailContactProfileFields,
    upsertContact,
    unsubscribeContact,
    sendTransactionalMessage
  }
}

export default destination
