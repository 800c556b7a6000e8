import { createTestIntegration } from '@segment/actions-core'
import { fetchToken, useSandbox } from '../sandbox/client'

/** Lists and profile fields offered by name, read from the (sandbox) Listrak account over loopback. */

const { current, start } = useSandbox({ asListrak: true })
let accessToken: string

beforeEach(async () => {
  accessToken = await fetchToken((await start()).authUrl)
})

const settings = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const dynamic = (field: string, payload: object = {}, token = accessToken) =>
  createTestIntegration(current.destination).testDynamicField('updateEmailContactProfileFields', field, {
    settings,
    payload,
    auth: { accessToken: token, refreshToken: '' }
  })

describe('dynamic fields', () => {
  it('offers the lists by name and ID', async () => {
    expect(await dynamic('listId')).toEqual({
      choices: [
        { label: 'Newsletter (12345)', value: '12345' },
        { label: 'Promotions (67890)', value: '67890' }
      ]
    })
  })

  it('offers every profile field of the chosen list, labelled with its group and type', async () => {
    expect(await dynamic('profileFieldValues.__keys__', { listId: 12345 })).toEqual({
      choices: [
        { label: 'Engage Audiences › my_audience (6789, CheckBox)', value: '6789' },
        { label: 'Engage Audiences › vip_customers (6790, CheckBox)', value: '6790' },
        { label: 'Preferences › favorite_store (7001, Text)', value: '7001' },
        { label: 'Preferences › email_frequency (7002, RadioButton)', value: '7002' },
        { label: 'Preferences › loyalty_points (7003, Numeric)', value: '7003' },
        { label: 'Preferences › birthday (7004, Date)', value: '7004' }
      ]
    })
  })

  it('asks for a list first', async () => {
    expect(await dynamic('profileFieldValues.__keys__', {})).toEqual({
      choices: [],
      error: { code: '400', message: 'Choose a List ID first: the profile fields come from the chosen list.' }
    })
  })

  it('offers on, off and useAudienceKey as values of a check box, each saying what it does', async () => {
    for (const payload of [{ listId: 12345 }, {}]) {
      const field = 'listId' in payload ? 'profileFieldValues.6789' : 'profileFieldValues.__values__'
      const answer = (await dynamic(field, payload)) as { choices: { value: string; label: string }[] }
      expect(answer.choices.map((c) => c.value)).toEqual(['on', 'off', 'useAudienceKey'])
      expect(answer.choices[2].label).toContain('in the audience')
    }
  })

  it.each([
    ['7003', [{ value: '0', label: expect.stringContaining('a number') }]],
    ['7004', [{ value: '2026-01-31', label: expect.stringContaining('a date') }]],
    ['7001', []]
  ])('suggests values by type for field %s', async (key, choices) => {
    const answer = (await dynamic(`profileFieldValues.${key}`, { listId: 12345 })) as {
      choices: { value: string; label: string }[]
    }
    expect(answer.choices).toEqual(choices)
  })

  it('says when the chosen key is not a field of the list', async () => {
    expect(await dynamic('profileFieldValues.4242', { listId: 12345 })).toEqual({
      choices: [],
      error: { code: '404', message: 'List 12345 has no profile field 4242.' }
    })
  })

  it.each([
    ['a bad token', 'listId', {}, 'bad-token', '401', 'ERROR_UNAUTHORIZED'],
    [
      'an unknown list',
      'profileFieldValues.__keys__',
      { listId: 999 },
      undefined,
      '404',
      'ERROR_UNABLE_TO_LOCATE_RESOURCE'
    ]
  ])(
    "answers %s with Listrak's code and message, not an exception",
    async (_, field, payload, token, code, listrakCode) => {
      const answer = (await dynamic(field, payload, token)) as {
        choices: unknown[]
        error: { code: string; message: string }
      }
      expect(answer.choices).toEqual([])
      expect(answer.error.code).toBe(code)
      expect(answer.error.message).toContain(listrakCode)
    }
  )

  it('answers a Listrak 5xx as an error too', async () => {
    await current.api.call('POST', '/_sandbox/faults', {
      body: JSON.stringify({ failNext: { count: 1, status: 503 } })
    })
    const answer = (await dynamic('listId')) as { error: { code: string; message: string } }
    expect(answer.error).toEqual({ code: '503', message: expect.stringContaining('HTTP 503 ERROR_INJECTED_FAULT') })
  })
})
