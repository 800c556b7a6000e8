import { audienceTrack } from '../engage-events'
import { configFile, startTestRuntime } from './harness'

/** The routes of Segment's actions CLI `serve`, as Segment's Actions Tester calls them. */

let h: Awaited<ReturnType<typeof startTestRuntime>>
beforeAll(async () => {
  h = await startTestRuntime(configFile('config.json'))
})
afterAll(() => h.runtime.stop())

const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const json = async (response: Response) => (await response.json()) as Record<string, unknown>

describe('developer routes', () => {
  it('GET /manifest describes the destination', async () => {
    const manifest = await json(await fetch(`${h.runtime.url}/manifest`))
    expect(manifest).toMatchObject({
      name: 'Listrak-Actions',
      slug: 'actions-listrak',
      authentication: { scheme: 'oauth2' },
      actions: { updateEmailContactProfileFields: { title: 'Update Email Contact Profile Fields' } }
    })
  })

  it('POST /authenticate checks credentials', async () => {
    expect(await json(await h.post('/authenticate', demo))).toEqual({ ok: true })
    const bad = await json(await h.post('/authenticate', { ...demo, client_secret: 'wrong' }))
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('ERROR_INVALID_CREDENTIALS') })
  })

  it('POST /refreshAccessToken fetches a token', async () => {
    const answer = await json(await h.post('/refreshAccessToken', { settings: demo }))
    expect(answer).toMatchObject({ ok: true, data: { accessToken: expect.any(String) } })
  })

  it('POST /updateEmailContactProfileFields runs the action and shows the exchanges, without credentials', async () => {
    const { data } = (await json(await h.post('/refreshAccessToken', { settings: demo }))) as {
      data: { accessToken: string }
    }
    const answer = await json(
      await h.post('/updateEmailContactProfileFields', {
        payload: [audienceTrack('jane@example.com', 'my_audience', true), audienceTrack('bad', 'my_audience', true)],
        settings: demo,
        mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } },
        auth: { accessToken: data.accessToken }
      })
    )
    expect(answer.multistatus).toEqual([
      expect.objectContaining({ status: 201 }),
      expect.objectContaining({ status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' })
    ])
    const exchanges = answer.exchanges as {
      request: { method: string; url: string; headers: Record<string, string>; body: string }
      response: { statusCode: number }
    }[]
    // The list's field definitions are read first, for the value checks; the import comes last.
    expect(exchanges.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`)).toEqual([
      'GET /email/v1/List/12345/SegmentationFieldGroup',
      'GET /email/v1/List/12345/SegmentationFieldGroup/501/SegmentationField',
      'GET /email/v1/List/12345/SegmentationFieldGroup/502/SegmentationField',
      'POST /email/v1/List/12345/Contact/SegmentationField'
    ])
    const exchange = exchanges[3]
    expect(exchange.request.headers.authorization).toBe('<redacted>')
    expect(JSON.parse(exchange.request.body)).toEqual([
      { emailAddress: 'jane@example.com', segmentationFieldValues: [{ segmentationFieldId: 6789, value: 'on' }] }
    ])
    expect(exchange.response.statusCode).toBe(201)
    expect(JSON.stringify(answer)).not.toContain(data.accessToken)
  })

  it('runs a single event through perform and reports its error', async () => {
    const answer = await json(
      await h.post('/updateEmailContactProfileFields', {
        payload: audienceTrack('jane@example.com', 'my_audience', true),
        settings: demo,
        mapping: { listId: 12345, profileFieldValues: { nope: 'on' } }
      })
    )
    expect(answer).toMatchObject({ error: { statusCode: 400, message: expect.stringContaining('key "nope"') } })
  })
})

describe('dynamic-field routes', () => {
  it('POST /updateEmailContactProfileFields/listId offers the lists, fetching a token from the settings', async () => {
    const answer = await json(await h.post('/updateEmailContactProfileFields/listId', { settings: demo, payload: {} }))
    expect(answer).toEqual({
      choices: [
        { label: 'Newsletter (12345)', value: '12345' },
        { label: 'Promotions (67890)', value: '67890' }
      ]
    })
  })

  it('POST /updateEmailContactProfileFields/profileFieldValues offers keys, or values with dynamicFieldContext', async () => {
    const keys = await json(
      await h.post('/updateEmailContactProfileFields/profileFieldValues', {
        settings: demo,
        payload: { listId: 12345 }
      })
    )
    expect((keys.choices as { value: string }[]).map((c) => c.value)).toEqual([
      '6789',
      '6790',
      '7001',
      '7002',
      '7003',
      '7004'
    ])
    const values = await json(
      await h.post('/updateEmailContactProfileFields/profileFieldValues', {
        settings: demo,
        payload: { listId: 12345 },
        dynamicFieldContext: { selectedKey: '6789' }
      })
    )
    expect((values.choices as { value: string }[]).map((c) => c.value)).toEqual(['on', 'off', 'useAudienceKey'])
  })

  it('answers bad credentials as a dynamic-field error', async () => {
    const answer = await json(
      await h.post('/updateEmailContactProfileFields/listId', {
        settings: { ...demo, client_secret: 'nope' },
        payload: {}
      })
    )
    expect(answer).toMatchObject({
      choices: [],
      error: { message: expect.stringContaining('ERROR_INVALID_CREDENTIALS') }
    })
  })
})
