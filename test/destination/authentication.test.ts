import { createTestIntegration } from '@segment/actions-core'
import nock from 'nock'
import destination, { listrakDestination } from '../../src'
import { LISTRAK_URLS } from '../../src/api/urls'
import { audienceTrack } from '../engage-events'
import {
  ACCESS_TOKEN,
  API,
  AUTH,
  CLIENT_SECRET,
  importPath,
  isolateNetwork,
  newIntegration,
  runBatch,
  settings
} from './fixtures'

isolateNetwork()

const tokenForm = {
  grant_type: 'client_credentials',
  client_id: settings.client_id,
  client_secret: CLIENT_SECRET
}

/** A token endpoint that accepts only the form-encoded client-credentials grant, with no Authorization header. */
const tokenEndpoint = () =>
  nock(AUTH, { badheaders: ['authorization'] })
    .post('/OAuth2/Token', tokenForm)
    .matchHeader('content-type', /^application\/x-www-form-urlencoded/)

const noTokens = { accessToken: '', refreshToken: '', clientId: '', clientSecret: '' }

/** actions-core's refresh with the settings alone, as a runtime calls it before it has a token. */
const refresh = () => newIntegration().refreshAccessToken(settings, noTokens)

const invalidCredentials = {
  status: 401,
  error: 'ERROR_INVALID_CREDENTIALS',
  // A server that echoes the secret back must not get it into our messages.
  message: `Invalid client credentials for client_secret=${CLIENT_SECRET}.`
}

describe('destination definition', () => {
  it('is Listrak (Actions), cloud mode, with OAuth2 client-credential settings', () => {
    expect(destination).toMatchObject({ name: 'Listrak (Actions)', slug: 'actions-listrak', mode: 'cloud' })
    expect(destination.authentication).toMatchObject({
      scheme: 'oauth2',
      fields: {
        client_id: { label: 'API Client ID', type: 'string', required: true },
        client_secret: { label: 'API Client Secret', type: 'password', required: true }
      }
    })
  })
})

describe('refreshAccessToken', () => {
  it('fetches a token with the client-credentials grant and no Authorization header', async () => {
    const scope = tokenEndpoint().reply(200, { access_token: 'fresh-token', token_type: 'Bearer', expires_in: 3600 })
    // Settings that still carry an old token: extendRequest would add it to every request.
    const withOldToken = { ...settings, oauth: { access_token: 'old-token' } }
    const tokens = await newIntegration().refreshAccessToken(withOldToken, {
      accessToken: 'old-token',
      refreshToken: '',
      clientId: '',
      clientSecret: ''
    })
    expect(tokens).toEqual({ accessToken: 'fresh-token' })
    expect(scope.isDone()).toBe(true)
  })

  it('goes to the token URL the definition was built with', async () => {
    const scope = nock('http://127.0.0.1:9').post('/custom/token').reply(200, { access_token: 't' })
    const definition = listrakDestination({ auth: 'http://127.0.0.1:9/custom/token', api: LISTRAK_URLS.api })
    await createTestIntegration(definition).refreshAccessToken(settings, noTokens)
    expect(scope.isDone()).toBe(true)
  })

  it("goes only to Listrak's token URL from the default export, whatever the environment says", async () => {
    process.env.LISTRAK_AUTH_URL = 'http://127.0.0.1:9/custom/token'
    try {
      const scope = tokenEndpoint().reply(200, { access_token: 't' })
      await refresh()
      expect(scope.isDone()).toBe(true)
    } finally {
      delete process.env.LISTRAK_AUTH_URL
    }
  })

  it('refuses an answer without an access token', async () => {
    tokenEndpoint().reply(200, { token_type: 'Bearer' })
    await expect(refresh()).rejects.toMatchObject({
      name: 'IntegrationError',
      message: "Listrak's token endpoint answered HTTP 200 without an access token."
    })
  })

  it("reports wrong credentials with Listrak's reason, never the secret", async () => {
    tokenEndpoint().reply(401, invalidCredentials)
    await expect(refresh()).rejects.toMatchObject({
      name: 'InvalidAuthenticationError',
      status: 401,
      message:
        'Listrak refused the API client credentials (HTTP 401 ERROR_INVALID_CREDENTIALS: Invalid client credentials ' +
        'for client_secret=[redacted].). Check the API Client ID and API Client Secret, and that the integration is ' +
        'active in Listrak.'
    })
  })

  it('makes a failing token endpoint retryable', async () => {
    tokenEndpoint().reply(503, 'Service Unavailable')
    await expect(refresh()).rejects.toMatchObject({ name: 'RetryableError', status: 503 })
  })
})

describe('testAuthentication', () => {
  it('accepts good credentials', async () => {
    const scope = tokenEndpoint().reply(200, { access_token: 'fresh-token', token_type: 'Bearer', expires_in: 3600 })
    await expect(newIntegration().testAuthentication(settings)).resolves.toBeUndefined()
    expect(scope.isDone()).toBe(true)
  })

  it("refuses bad credentials with Listrak's message and without the secret", async () => {
    tokenEndpoint().reply(401, invalidCredentials)
    // actions-core puts "Credentials are invalid: <response status>" before the destination's message; the
    // destination's errors have no HTTP response, and Listrak's status is in the message.
    await expect(newIntegration().testAuthentication(settings)).rejects.toMatchObject({
      message:
        'Credentials are invalid:  Listrak refused the API client credentials (HTTP 401 ' +
        'ERROR_INVALID_CREDENTIALS: Invalid client credentials for client_secret=[redacted].). Check the API Client ' +
        'ID and API Client Secret, and that the integration is active in Listrak.'
    })
  })

  it('refuses missing settings before calling Listrak', async () => {
    const scope = tokenEndpoint().reply(200, { access_token: 'fresh-token' })
    await expect(newIntegration().testAuthentication({ client_id: 'x' } as never)).rejects.toThrow(
      "The root value is missing the required field 'client_secret'."
    )
    expect(scope.isDone()).toBe(false)
  })
})

describe('API requests', () => {
  it('carry the bearer token', async () => {
    const scope = nock(API)
      .post(importPath(12345))
      .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
      .reply(201, { status: 201, resourceId: 'r' })
    await runBatch([audienceTrack('jane@example.com', 'my_audience', true)])
    expect(scope.isDone()).toBe(true)
  })

  it('go to the API URL the definition was built with', async () => {
    const scope = nock('http://127.0.0.1:9').post('/email/v1/List/12345/Contact/SegmentationField').reply(201, {})
    const definition = listrakDestination({ auth: LISTRAK_URLS.auth, api: 'http://127.0.0.1:9/email/v1' })
    const [result] = await runBatch([audienceTrack('jane@example.com', 'my_audience', true)], undefined, undefined, {
      definition
    })
    expect(result.status).toBe(201)
    expect(scope.isDone()).toBe(true)
  })

  it("go only to Listrak's API from the default export, whatever the environment says", async () => {
    process.env.LISTRAK_API_URL = 'http://127.0.0.1:9/email/v1/'
    try {
      const scope = nock(API).post(importPath(12345)).reply(201, {})
      const [result] = await runBatch([audienceTrack('jane@example.com', 'my_audience', true)])
      expect(result.status).toBe(201)
      expect(scope.isDone()).toBe(true)
    } finally {
      delete process.env.LISTRAK_API_URL
    }
  })
})

describe('secrets', () => {
  it('never appear in an error message or a result', async () => {
    const seen: string[] = []
    /** The error `failing` rejects with, as text; the test fails if it resolves. */
    const rejection = async (failing: Promise<unknown>) => {
      const error = await failing.then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toBeInstanceOf(Error)
      seen.push(String(error), JSON.stringify(error))
    }

    tokenEndpoint().reply(401, invalidCredentials)
    await rejection(newIntegration().testAuthentication(settings))
    tokenEndpoint().reply(400, { error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` })
    await rejection(refresh())
    nock(AUTH)
      .post('/OAuth2/Token')
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    await rejection(refresh())
    for (const status of [400, 401, 404, 429, 500]) {
      nock(API).post(importPath(12345)).reply(status, { status, error: 'ERROR_X', message: 'nope' })
      seen.push(JSON.stringify(await runBatch([audienceTrack('jane@example.com', 'my_audience', true)])))
    }

    expect(seen).toHaveLength(11)
    for (const text of seen) {
      expect(text).not.toContain(CLIENT_SECRET)
      expect(text).not.toContain(ACCESS_TOKEN)
    }
  })
})
