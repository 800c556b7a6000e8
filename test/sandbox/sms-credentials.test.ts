import { startSandbox } from '../../sandbox'
import { DEMO_TOKEN_FORM, useSandbox } from './client'
import { expectRefusal } from './listrak-api'
import { DATA_TOKEN_FORM, SMS_TOKEN_FORM } from './sms-api'

/** Tokens per Listrak integration type: each opens its own API, unless the fixture shares one pair among them. */

const { current: box, start } = useSandbox()

const get = (path: string, token: string) =>
  box.api.call('GET', path, { headers: { authorization: `Bearer ${token}` } })

const EMAIL_ROUTE = '/email/v1/List'
const SMS_ROUTE = '/sms/v1/ShortCode'

describe('tokens per integration type', () => {
  it('issues a token to the SMS integration, which opens the SMS API', async () => {
    await start()
    const answer = await get(SMS_ROUTE, await box.api.token(SMS_TOKEN_FORM))
    expect(answer.status).toBe(200)
  })

  it('refuses an Email token on the SMS API, saying which integration it needs', async () => {
    await start()
    const token = await box.api.token(DEMO_TOKEN_FORM)
    const answer = await get(SMS_ROUTE, token)
    expectRefusal(answer, 401, 'ERROR_UNAUTHORIZED', 'integration of type Email')
    expect(answer.json.message).toContain('does not cover the SMS API (/sms/v1)')
    expect(answer.json.message).toContain('an integration of type SMS')
    expect(answer.text).not.toContain(token)
  })

  it('refuses an SMS token on the Email API', async () => {
    await start()
    const answer = await get(EMAIL_ROUTE, await box.api.token(SMS_TOKEN_FORM))
    expectRefusal(answer, 401, 'ERROR_UNAUTHORIZED', 'does not cover the Email API (/email/v1)')
  })

  it('refuses a Data token on the Email and SMS APIs', async () => {
    await start()
    const token = await box.api.token(DATA_TOKEN_FORM)
    expectRefusal(await get(EMAIL_ROUTE, token), 401, 'ERROR_UNAUTHORIZED', 'integration of type Data')
    expectRefusal(await get(SMS_ROUTE, token), 401, 'ERROR_UNAUTHORIZED', 'integration of type Data')
  })

  it('lets one token open every API when the fixture shares the credentials', async () => {
    await start({
      fixture: {
        credentials: [{ clientId: 'one', clientSecret: 'pair' }],
        sharedCredentials: true,
        lists: [{ listId: 1, listName: 'One' }]
      }
    })
    const token = await box.api.token('grant_type=client_credentials&client_id=one&client_secret=pair')
    expect((await get(EMAIL_ROUTE, token)).status).toBe(200)
    expect((await get(SMS_ROUTE, token)).status).toBe(200)
  })

  it('lets an SMS token open the Email API when the credentials are shared', async () => {
    await start({
      fixture: {
        credentials: [{ clientId: 'sms', clientSecret: 's', integration: 'SMS' }],
        sharedCredentials: true,
        lists: []
      }
    })
    const token = await box.api.token('grant_type=client_credentials&client_id=sms&client_secret=s')
    expect((await get(EMAIL_ROUTE, token)).status).toBe(200)
  })

  it('takes a credential without a type as an Email integration', async () => {
    await start({ fixture: { credentials: [{ clientId: 'c', clientSecret: 's' }], lists: [] } })
    const token = await box.api.token('grant_type=client_credentials&client_id=c&client_secret=s')
    expect((await get(EMAIL_ROUTE, token)).status).toBe(200)
    expectRefusal(await get(SMS_ROUTE, token), 401, 'ERROR_UNAUTHORIZED', 'integration of type Email')
  })

  it('refuses a fixture whose credential has another type, naming the key', async () => {
    const fixture = { credentials: [{ clientId: 'c', clientSecret: 's', integration: 'Push' }], lists: [] }
    await expect(startSandbox({ fixture: fixture as never })).rejects.toThrow(/credentials\.0\.integration/)
  })

  it('counts the tokens issued to each integration type', async () => {
    await start()
    for (const form of [DEMO_TOKEN_FORM, SMS_TOKEN_FORM, SMS_TOKEN_FORM, DATA_TOKEN_FORM]) await box.api.token(form)
    expect((await box.api.call('GET', '/_sandbox/stats')).json).toMatchObject({
      tokensIssued: 4,
      emailTokensIssued: 1,
      smsTokensIssued: 2,
      dataTokensIssued: 1
    })
  })

  it('stops an SMS token after its uses (tokenMaxUses)', async () => {
    await start({ faults: { tokenMaxUses: 2 } })
    const token = await box.api.token(SMS_TOKEN_FORM)
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await get(SMS_ROUTE, token)).status)
    expect(statuses).toEqual([200, 200, 401])
  })

  it('does not count a request refused for its API as a use of the token', async () => {
    await start({ faults: { tokenMaxUses: 1 } })
    const token = await box.api.token(SMS_TOKEN_FORM)
    expect((await get(EMAIL_ROUTE, token)).status).toBe(401)
    expect((await get(SMS_ROUTE, token)).status).toBe(200)
  })

  it('forgets SMS tokens on reset', async () => {
    await start()
    const token = await box.api.token(SMS_TOKEN_FORM)
    await box.api.call('POST', '/_sandbox/reset')
    expectRefusal(await get(SMS_ROUTE, token), 401, 'ERROR_UNAUTHORIZED', 'Authorization was denied for this request.')
  })

  it('counts SMS and Data requests in the stats and the request history', async () => {
    await start()
    const token = await box.api.token(SMS_TOKEN_FORM)
    await get(SMS_ROUTE, token)
    await get('/data/v1/Customer', token)
    expect((await box.api.call('GET', '/_sandbox/stats')).json).toMatchObject({ requests: 3, inFlight: 0 })
    const requests = (await box.api.call('GET', '/_sandbox/requests')).json.data as { path: string; status: number }[]
    const listrak = requests.filter((r) => !r.path.startsWith('/_sandbox'))
    expect(listrak.map((r) => [r.path, r.status])).toEqual([
      ['/OAuth2/Token', 200],
      [SMS_ROUTE, 200],
      ['/data/v1/Customer', 404]
    ])
  })

  it('gives the SMS and Data APIs their base URLs', async () => {
    const sandbox = await start()
    expect([sandbox.smsApiUrl, sandbox.dataApiUrl]).toEqual([`${sandbox.url}/sms/v1`, `${sandbox.url}/data/v1`])
  })
})
