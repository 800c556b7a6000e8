import { startSandbox } from '../../sandbox'
import { client, contact, DEMO_TOKEN_FORM, useSandbox } from './client'

const { current: box, start } = useSandbox()

type Answer = Awaited<ReturnType<ReturnType<typeof client>['call']>>

/** A refusal as Listrak answers it: the HTTP status, and the same status with the error code in the envelope. */
function expectRefusal(answer: Answer, status: number, error: string, message?: string) {
  expect([answer.status, answer.json]).toEqual([
    status,
    { status, error, message: message === undefined ? expect.any(String) : expect.stringContaining(message) }
  ])
}

describe('token endpoint', () => {
  beforeEach(() => start())

  it('issues a bearer token for the right credentials', async () => {
    const answer = await box.api.call('POST', '/OAuth2/Token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: DEMO_TOKEN_FORM
    })
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 })
  })

  it.each([
    ['a wrong secret', 'grant_type=client_credentials&client_id=demo-client-id&client_secret=nope'],
    ['a wrong client ID', 'grant_type=client_credentials&client_id=x&client_secret=demo-client-secret'],
    ['missing credentials', 'grant_type=client_credentials']
  ])('refuses %s with ERROR_INVALID_CREDENTIALS', async (_, body) => {
    const answer = await box.api.call('POST', '/OAuth2/Token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body
    })
    expectRefusal(answer, 401, 'ERROR_INVALID_CREDENTIALS')
  })

  it('refuses another grant type', async () => {
    const answer = await box.api.call('POST', '/OAuth2/Token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&client_id=demo-client-id&client_secret=demo-client-secret'
    })
    expectRefusal(answer, 400, 'ERROR_INVALID_PARAMETER')
  })

  it('refuses a body that is not form-encoded', async () => {
    const answer = await box.api.call('POST', '/OAuth2/Token', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'demo-client-id',
        client_secret: 'demo-client-secret'
      })
    })
    expectRefusal(answer, 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
  })
})

describe('POST /email/v1/List/{listId}/Contact/SegmentationField', () => {
  beforeEach(() => start({ limits: { importMaxContacts: 3, importMaxBytes: 2000, bodyLimitBytes: 10_000 } }))

  it('applies an accepted import to the contact store and records it', async () => {
    const token = await box.api.token()
    const answer = await box.api.importContacts(
      12345,
      [contact('Jane@Example.com', [6789, 'on'], [6790, 'off']), contact('john@example.com', [6789, 'off'])],
      token
    )
    expect(answer.status).toBe(201)
    expect(answer.json).toEqual({ status: 201, resourceId: expect.any(String) })
    await box.api.importContacts(12345, [contact('jane@example.com', [6790, 'on'], [7001, 'Downtown'])], token)

    const contacts = await box.api.call('GET', '/_sandbox/lists/12345/contacts')
    expect(contacts.json).toEqual({
      listId: 12345,
      contacts: [
        { emailAddress: 'Jane@Example.com', fields: { '6789': 'on', '6790': 'on', '7001': 'Downtown' } },
        { emailAddress: 'john@example.com', fields: { '6789': 'off' } }
      ]
    })
    const imports = await box.api.call('GET', '/_sandbox/imports')
    expect(imports.json).toMatchObject({ total: 2, dropped: 0 })
    expect(imports.json.data?.[0]).toMatchObject({
      resourceId: answer.json.resourceId,
      listId: 12345,
      receivedAt: expect.any(String),
      contacts: [contact('Jane@Example.com', [6789, 'on'], [6790, 'off']), contact('john@example.com', [6789, 'off'])]
    })
  })

  it('refuses a request without a valid token', async () => {
    for (const token of ['', 'not-a-token']) {
      const answer = await box.api.importContacts(12345, [contact('a@example.com', [6789, 'on'])], token)
      expectRefusal(answer, 401, 'ERROR_UNAUTHORIZED', 'Authorization was denied for this request.')
    }
  })

  it('refuses a body that is not JSON by content type', async () => {
    const answer = await box.api.importContacts(12345, '[]', await box.api.token(), 'text/plain')
    expectRefusal(answer, 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
  })

  it('answers 404 for an unknown list and 400 for a list ID that is not one', async () => {
    const token = await box.api.token()
    const body = [contact('a@example.com', [6789, 'on'])]
    expectRefusal(await box.api.importContacts(999, body, token), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
    expectRefusal(await box.api.importContacts('abc', body, token), 400, 'ERROR_INVALID_PARAMETER')
  })

  it('refuses a body that does not parse', async () => {
    const answer = await box.api.importContacts(12345, '[{"emailAddress":', await box.api.token())
    expectRefusal(answer, 400, 'ERROR_MALFORMED_REQUEST_BODY')
  })

  it.each([
    ['not an array', { emailAddress: 'a@example.com' }, 'expected array'],
    ['empty', [], 'at least one contact'],
    ['a contact without segmentationFieldValues', [{ emailAddress: 'a@example.com' }], '[0].segmentationFieldValues'],
    ['a field ID that is not an integer', [contact('a@example.com', [1.5 as number, 'on'])], 'segmentationFieldId'],
    [
      'a value that is not a string',
      [{ emailAddress: 'a@example.com', segmentationFieldValues: [{ segmentationFieldId: 6789, value: true }] }],
      'value'
    ],
    ['a bad email address', [contact('not-an-email', [6789, 'on'])], '"not-an-email"'],
    [
      'a field that is not on the list',
      [contact('a@example.com', [8801, 'on'])],
      '8801 is not a profile field of list 12345'
    ],
    [
      'a check-box value other than on/off',
      [contact('a@example.com', [6789, 'useAudienceKey'])],
      '"useAudienceKey" on check-box field 6789'
    ],
    ['a text value over the field length', [contact('a@example.com', [7001, 'x'.repeat(51)])], 'at most 50 characters']
  ])('refuses %s with ERROR_INVALID_PARAMETER naming it', async (_, body, named) => {
    const answer = await box.api.importContacts(12345, body, await box.api.token())
    expectRefusal(answer, 400, 'ERROR_INVALID_PARAMETER', named)
  })

  it('refuses a contact that sets a field twice', async () => {
    const answer = await box.api.importContacts(
      12345,
      [contact('a@example.com', [6789, 'on'], [6789, 'off'])],
      await box.api.token()
    )
    expectRefusal(answer, 400, 'ERROR_SEGMENTATION_FIELD_DEFINED_TWICE')
  })

  it('changes nothing when it refuses an import', async () => {
    const token = await box.api.token()
    const answer = await box.api.importContacts(
      12345,
      [contact('a@example.com', [6789, 'on']), contact('b@example.com', [6789, 'maybe'])],
      token
    )
    expectRefusal(answer, 400, 'ERROR_INVALID_PARAMETER', '"maybe" on check-box field 6789')
    expect(await box.api.contacts()).toEqual({})
  })

  it('answers 404, as Listrak does, to more contacts or bytes than the import limit', async () => {
    const token = await box.api.token()
    const four = ['a', 'b', 'c', 'd'].map((n) => contact(`${n}@example.com`, [6789, 'on']))
    expectRefusal(await box.api.importContacts(12345, four, token), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
    const long = [contact(`${'x'.repeat(2100)}@example.com`, [6789, 'on'])]
    expectRefusal(await box.api.importContacts(12345, long, token), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
    expect(await box.api.contacts()).toEqual({})
  })

  it('answers 413 to a body over the body limit', async () => {
    const answer = await box.api.importContacts(12345, 'x'.repeat(20_000), await box.api.token())
    expectRefusal(answer, 413, 'ERROR_REQUEST_TOO_LARGE')
  })

  it('refuses an expired token', async () => {
    await box.sandbox.stop()
    await start({ tokenTtlSeconds: 0.05 })
    const token = await box.api.token()
    await new Promise((resolve) => setTimeout(resolve, 80))
    const answer = await box.api.importContacts(12345, [contact('a@example.com', [6789, 'on'])], token)
    expectRefusal(answer, 401, 'ERROR_UNAUTHORIZED')
  })
})

describe('lists and profile fields', () => {
  beforeEach(() => start())

  it("lists the account's lists in a Collection envelope", async () => {
    const token = await box.api.token()
    const answer = await box.api.call('GET', '/email/v1/List', { headers: { authorization: `Bearer ${token}` } })
    expect(answer.json.status).toBe(200)
    expect(
      answer.json.data?.map((l) => [(l as { listId: number }).listId, (l as { listName: string }).listName])
    ).toEqual([
      [12345, 'Newsletter'],
      [67890, 'Promotions']
    ])
  })

  it("lists a list's profile field groups and each group's fields", async () => {
    const auth = { headers: { authorization: `Bearer ${await box.api.token()}` } }
    const groups = await box.api.call('GET', '/email/v1/List/12345/SegmentationFieldGroup', auth)
    expect(groups.json).toEqual({
      status: 200,
      data: [
        { segmentationFieldGroupId: 501, segmentationFieldGroupName: 'Engage Audiences', position: 1 },
        { segmentationFieldGroupId: 502, segmentationFieldGroupName: 'Preferences', position: 2 }
      ]
    })
    const fields = await box.api.call('GET', '/email/v1/List/12345/SegmentationFieldGroup/501/SegmentationField', auth)
    expect(fields.json).toEqual({
      status: 200,
      data: [
        {
          segmentationFieldId: 6789,
          segmentationFieldName: 'my_audience',
          segmentationFieldGroupId: 501,
          dataType: 'CheckBox',
          maxLength: 50,
          position: 1
        },
        {
          segmentationFieldId: 6790,
          segmentationFieldName: 'vip_customers',
          segmentationFieldGroupId: 501,
          dataType: 'CheckBox',
          maxLength: 50,
          position: 2
        }
      ]
    })
  })

  it('answers 404 for an unknown list or group, and 401 without a token', async () => {
    const auth = { headers: { authorization: `Bearer ${await box.api.token()}` } }
    expect((await box.api.call('GET', '/email/v1/List/999/SegmentationFieldGroup', auth)).status).toBe(404)
    expect(
      (await box.api.call('GET', '/email/v1/List/12345/SegmentationFieldGroup/601/SegmentationField', auth)).status
    ).toBe(404)
    expect((await box.api.call('GET', '/email/v1/List')).status).toBe(401)
  })

  it('answers an unknown route in the error envelope', async () => {
    const answer = await box.api.call('GET', '/email/v1/Nothing')
    expectRefusal(answer, 404, 'ERROR_UNKNOWN_ROUTE')
  })
})

describe('inspection', () => {
  it('records every request with its status, capped and saying so', async () => {
    await start({ historyLimit: 3 })
    const token = await box.api.token()
    for (let i = 0; i < 4; i++) await box.api.importContacts(12345, [contact('a@example.com', [6789, 'on'])], token)
    const requests = await box.api.call('GET', '/_sandbox/requests')
    expect(requests.json).toMatchObject({ total: 5, kept: 3, dropped: 2, note: expect.stringContaining('newest 3') })
    expect(requests.json.data?.[2]).toMatchObject({
      method: 'POST',
      path: '/email/v1/List/12345/Contact/SegmentationField',
      status: 201
    })
  })

  it('resets to the fixture', async () => {
    await start()
    const token = await box.api.token()
    expect((await box.api.importContacts(12345, [contact('a@example.com', [6789, 'on'])], token)).status).toBe(201)
    expect(await box.api.contacts()).toEqual({ 'a@example.com': { '6789': 'on' } })
    await box.api.call('POST', '/_sandbox/reset')
    expect(await box.api.contacts()).toEqual({})
    expect((await box.api.call('GET', '/_sandbox/imports')).json.total).toBe(0)
    // Tokens are forgotten too.
    expect((await box.api.importContacts(12345, [contact('a@example.com', [6789, 'on'])], token)).status).toBe(401)
  })

  it('loads another fixture and refuses a bad one with the path of the bad key', async () => {
    await start({
      fixture: {
        credentials: [{ clientId: 'c', clientSecret: 's' }],
        lists: [{ listId: 1, listName: 'One', segmentationFieldGroups: [] }]
      }
    })
    const token = await box.api.token('grant_type=client_credentials&client_id=c&client_secret=s')
    const lists = await box.api.call('GET', '/email/v1/List', { headers: { authorization: `Bearer ${token}` } })
    expect(lists.json.data).toHaveLength(1)
    await expect(startSandbox({ fixture: { credentials: [], lists: [{ listId: -1 }] } as never })).rejects.toThrow(
      /credentials: .*; lists\.0\.listId/
    )
  })
})

describe('creating profile field groups and fields', () => {
  beforeEach(() => start({ fieldGroupLimit: 3 }))

  const post = async (path: string, body: unknown) => {
    const token = await box.api.token()
    return box.api.call('POST', path, {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
  }

  it('creates a group and a check-box field in it, then lists them', async () => {
    const group = await post('/email/v1/List/12345/SegmentationFieldGroup', {
      segmentationFieldGroupName: 'Segment Audiences',
      position: 3
    })
    expect(group.status).toBe(201)
    expect(group.json).toEqual({ status: 201, resourceId: expect.stringMatching(/^\d+$/) })
    const groupId = Number(group.json.resourceId)
    const field = await post(`/email/v1/List/12345/SegmentationFieldGroup/${groupId}/SegmentationField`, {
      segmentationFieldName: 'high_value',
      dataType: 'CheckBox',
      maxLength: 3,
      position: 1
    })
    expect(field.status).toBe(201)
    const auth = { headers: { authorization: `Bearer ${await box.api.token()}` } }
    const fields = await box.api.call(
      'GET',
      `/email/v1/List/12345/SegmentationFieldGroup/${groupId}/SegmentationField`,
      auth
    )
    expect(fields.json.data).toEqual([
      {
        segmentationFieldId: Number(field.json.resourceId),
        segmentationFieldName: 'high_value',
        segmentationFieldGroupId: groupId,
        dataType: 'CheckBox',
        maxLength: 3,
        position: 1
      }
    ])
    // The new field takes imports at once.
    const imported = await box.api.importContacts(
      12345,
      [contact('a@example.com', [Number(field.json.resourceId), 'on'])],
      await box.api.token()
    )
    expect(imported.status).toBe(201)
  })

  it('refuses a name the list already has, for groups and for fields', async () => {
    const group = await post('/email/v1/List/12345/SegmentationFieldGroup', {
      segmentationFieldGroupName: 'engage audiences',
      position: 1
    })
    expectRefusal(group, 400, 'ERROR_INVALID_PARAMETER', 'already exists')
    const field = await post('/email/v1/List/12345/SegmentationFieldGroup/501/SegmentationField', {
      segmentationFieldName: 'My_Audience',
      dataType: 'CheckBox',
      maxLength: 3,
      position: 9
    })
    expectRefusal(field, 400, 'ERROR_INVALID_PARAMETER', 'already exists')
  })

  it('refuses a group over the limit with ERROR_SEGMENTATION_FIELD_GROUP_LIMIT_MET', async () => {
    expect(
      (await post('/email/v1/List/12345/SegmentationFieldGroup', { segmentationFieldGroupName: 'Third', position: 3 }))
        .status
    ).toBe(201)
    const over = await post('/email/v1/List/12345/SegmentationFieldGroup', {
      segmentationFieldGroupName: 'Fourth',
      position: 4
    })
    expectRefusal(over, 400, 'ERROR_SEGMENTATION_FIELD_GROUP_LIMIT_MET')
  })

  it('refuses bodies that do not follow the definitions, and unknown groups', async () => {
    const noName = await post('/email/v1/List/12345/SegmentationFieldGroup', { position: 1 })
    expectRefusal(noName, 400, 'ERROR_INVALID_PARAMETER', 'segmentationFieldGroupName')
    const badType = await post('/email/v1/List/12345/SegmentationFieldGroup/501/SegmentationField', {
      segmentationFieldName: 'x',
      dataType: 'Checkbox',
      maxLength: 3,
      position: 1
    })
    expectRefusal(badType, 400, 'ERROR_INVALID_PARAMETER', 'dataType')
    const unknown = await post('/email/v1/List/12345/SegmentationFieldGroup/601/SegmentationField', {
      segmentationFieldName: 'x',
      dataType: 'CheckBox',
      maxLength: 3,
      position: 1
    })
    expectRefusal(unknown, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
  })
})
