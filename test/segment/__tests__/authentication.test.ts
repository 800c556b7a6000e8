import nock from 'nock'
import { createTestIntegration } from '@segment/actions-core'
import Destination from '../../../src'

const API = 'https://api.listrak.com'
const AUTH = 'https://auth.listrak.com'
const ACCESS_TOKEN = 'test-access-token'
const CLIENT_SECRET = 'test-client-secret-never-logged'

const settings = { client_id: 'test-client', client_secret: CLIENT_SECRET }

const testDestination = createTestIntegration(Destination)
const noTokens = { accessToken: '', refreshToken: '', clientId: '', clientSecret: '' }

/** Listrak's answer to unknown credentials, from a server that echoes the secret back. */
const invalidCredentials = {
  status: 401,
  error: 'ERROR_INVALID_CREDENTIALS',
  message: `Invalid client credentials for client_secret=${CLIENT_SECRET}.`
}

describe('Listrak (Actions) settings', () => {
  it('are the API client ID and secret, for OAuth2', () => {
    expect(Destination.authentication?.scheme).toBe('oauth2')
    expect(Object.keys(Destination.authentication?.fields ?? {})).toEqual(['client_id', 'client_secret'])
  })
})

describe('refreshAccessToken', () => {
  it('posts the client-credentials grant form-encoded, without an Authorization header', async () => {
    const scope = nock(AUTH, { badheaders: ['authorization'] })
      .post('/OAuth2/Token', {
        grant_type: 'client_credentials',
        client_id: settings.client_id,
        client_secret: CLIENT_SECRET
      })
      .matchHeader('content-type', /^application\/x-www-form-urlencoded/)
      .reply(200, { access_token: 'fresh-token', token_type: 'Bearer', expires_in: 3600 })

    const tokens = await testDestination.refreshAccessToken(settings, noTokens)

    expect(tokens?.accessToken).toBe('fresh-token')
    expect(scope.isDone()).toBe(true)
  })
})

describe('testAuthentication', () => {
  it('accepts credentials Listrak gives a token for', async () => {
    const scope = nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token', token_type: 'Bearer' })

    await expect(testDestination.testAuthentication(settings)).resolves.toBeUndefined()
    expect(scope.isDone()).toBe(true)
  })

  it("refuses bad credentials with Listrak's reason", async () => {
    nock(AUTH).post('/OAuth2/Token').reply(401, invalidCredentials)

    await expect(testDestination.testAuthentication(settings)).rejects.toThrow(
      'Listrak refused the API client credentials (HTTP 401 ERROR_INVALID_CREDENTIALS: Invalid client credentials'
    )
  })

  it('never puts the client secret in its message', async () => {
    nock(AUTH).post('/OAuth2/Token').reply(401, invalidCredentials)

    await expect(testDestination.testAuthentication(settings)).rejects.toMatchObject({
      message: expect.not.stringContaining(CLIENT_SECRET) as unknown
    })
  })
})

describe('API requests', () => {
  it('carry the access token as a bearer token', async () => {
    nock(API)
      .get('/email/v1/List/123/SegmentationFieldGroup')
      .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
      .get('/email/v1/List/123/SegmentationFieldGroup/1/SegmentationField')
      .reply(200, {
        status: 200,
        data: [{ segmentationFieldId: 456, segmentationFieldName: 'field_456', dataType: 'CheckBox', maxLength: 3 }]
      })
    const scope = nock(API)
      .post('/email/v1/List/123/Contact/SegmentationField')
      .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
      .reply(201, { status: 201, resourceId: 'import-1' })

    await testDestination.testAction('updateEmailContactProfileFields', {
      event: { context: { traits: { email: 'jane@example.com' } } },
      settings,
      auth: { accessToken: ACCESS_TOKEN, refreshToken: '' },
      useDefaultMappings: true,
      mapping: { listId: 123, profileFieldValues: { '456': 'on' } }
    })

    expect(scope.isDone()).toBe(true)
  })
})
