import { startSandbox } from '../../sandbox'
import { pageQuery } from '../../sandbox/contract'
import { API_BASE } from '../../sandbox/integrations'
import {
  PHONE_ATTRIBUTE_DATA_TYPES,
  phoneListQuery,
  SMS_ERROR,
  smsContactBody,
  smsTransactionalMessageContact
} from '../../sandbox/sms-contract'
import { JANE, smsApiFor } from '../sandbox/sms-api'
import { allowed, exampleCodes, listrakSpec, Schema, violations } from './swagger'

/** Checks the sandbox's SMS routes against Listrak's SMS API description. */
const { present, spec } = listrakSpec('listrak-sms-openapi.json')

/** The SMS routes the sandbox serves, as the description names them. */
const ROUTES: [string, string][] = [
  ['get', '/v1/ShortCode'],
  ['get', '/v1/ShortCode/{senderCodeId}'],
  ['get', '/v1/ShortCode/{senderCodeId}/PhoneList'],
  ['get', '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}'],
  ['get', '/v1/ShortCode/{senderCodeId}/SegmentationField'],
  ['post', '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/Contact'],
  ['put', '/v1/ShortCode/{senderCodeId}/Contact'],
  ['get', '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}'],
  ['get', '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList'],
  ['post', '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList/{phoneListId}'],
  ['delete', '/v1/ShortCode/{senderCodeId}/ContactUnsubscribe/{phoneNumber}/PhoneList/{phoneListId}'],
  ['get', '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/TransactionalMessage'],
  ['post', '/v1/ShortCode/{SenderCodeId}/PhoneList/{phoneListId}/TransactionalMessage/{transactionalMessageId}/Message']
]

;(present ? describe : describe.skip)("the sandbox against Listrak's SMS API description", () => {
  const definition = (name: string) => ({ $ref: `#/definitions/${name}` })
  const properties = (name: string) => Object.keys(spec.definitions[name].properties ?? {}).sort()

  it('serves the API at its base path', () => {
    expect(`${spec.basePath}/v1`).toBe(API_BASE.SMS)
  })

  it("answers only error codes of Listrak's SMS registry", () => {
    for (const code of Object.values(SMS_ERROR)) {
      expect([code, spec.info.description.includes(`| ${code} |`)]).toEqual([code, true])
    }
  })

  it.each(ROUTES)("uses the error codes of Listrak's examples for %s %s", (method, route) => {
    const codes = exampleCodes(spec.paths[route][method])
    expect(codes.length).toBeGreaterThan(0)
    for (const code of codes) expect(Object.values(SMS_ERROR)).toContain(code)
  })

  it.each([
    ['SMSContact', smsContactBody.shape],
    ['TransactionalMessageContact', smsTransactionalMessageContact.shape]
  ])('takes %s as Listrak defines it: every member, none required', (name, shape) => {
    expect(Object.keys(shape).sort()).toEqual(properties(name))
    expect(spec.definitions[name].required).toBeUndefined()
    const members = shape as Record<string, { safeParse(value: unknown): { success: boolean } }>
    for (const key of Object.keys(shape)) expect([key, members[key].safeParse(undefined).success]).toEqual([key, true])
  })

  it('gives profile fields the data types Listrak allows, and no others', () => {
    const dataType = spec.definitions.PhoneAttribute.properties?.dataType.description
    expect(allowed(dataType)).toEqual([...PHONE_ATTRIBUTE_DATA_TYPES])
  })

  it.each([
    ['/v1/ShortCode/{senderCodeId}/PhoneList', phoneListQuery.shape],
    ['/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList', pageQuery.shape]
  ])('takes the query parameters Listrak defines for GET %s', (route, shape) => {
    const query = (spec.paths[route].get.parameters ?? []).filter((p) => p.in === 'query')
    expect(Object.keys(shape).sort()).toEqual(query.map((p) => p.name).sort())
  })

  it("answers an unknown resource with the 404 of Listrak's examples", async () => {
    const sandbox = await startSandbox()
    try {
      const sms = await smsApiFor(sandbox)
      await sms.create({ phoneNumber: JANE })
      const answers: [string, string, { json: unknown }][] = [
        ['get', '/v1/ShortCode/{senderCodeId}', await sms.get('/ShortCode/999')],
        ['get', '/v1/ShortCode/{senderCodeId}/PhoneList', await sms.get('/ShortCode/999/PhoneList')],
        ['get', '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}', await sms.get('/ShortCode/101/PhoneList/999')],
        ['get', '/v1/ShortCode/{senderCodeId}/SegmentationField', await sms.get('/ShortCode/999/SegmentationField')],
        [
          'post',
          '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/Contact',
          await sms.create({ phoneNumber: JANE }, 999)
        ],
        ['put', '/v1/ShortCode/{senderCodeId}/Contact', await sms.update({ phoneNumber: JANE }, 999)],
        ['get', '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}', await sms.contact('2155550124')],
        ['get', '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList', await sms.subscriptions('2155550124')],
        [
          'post',
          '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList/{phoneListId}',
          await sms.subscribe('2155550124')
        ],
        [
          'delete',
          '/v1/ShortCode/{senderCodeId}/ContactUnsubscribe/{phoneNumber}/PhoneList/{phoneListId}',
          await sms.unsubscribe(JANE, 202)
        ],
        [
          'get',
          '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/TransactionalMessage',
          await sms.get('/ShortCode/101/PhoneList/999/TransactionalMessage')
        ],
        [
          'post',
          '/v1/ShortCode/{SenderCodeId}/PhoneList/{phoneListId}/TransactionalMessage/{transactionalMessageId}/Message',
          await sms.send({ phoneNumber: JANE, messageContent: 'Hi' }, 999)
        ]
      ]
      for (const [method, route, answer] of answers) {
        const example = spec.paths[route][method].responses['404'].examples?.['application/json']
        expect([route, answer.json]).toEqual([route, example])
      }
    } finally {
      await sandbox.stop()
    }
  })

  it('answers in the shapes Listrak defines', async () => {
    const sandbox = await startSandbox()
    try {
      const sms = await smsApiFor(sandbox)
      const answers: [string, unknown][] = [
        ['Collection[SenderCode]', (await sms.get('/ShortCode')).json],
        ['Resource[SenderCode]', (await sms.get('/ShortCode/101')).json],
        ['Collection[PhoneList]', (await sms.get('/ShortCode/101/PhoneList?status=active')).json],
        ['Collection[PhoneAttribute]', (await sms.get('/ShortCode/101/SegmentationField')).json],
        ['Collection[TransactionalMessage]', (await sms.get('/ShortCode/101/PhoneList/201/TransactionalMessage')).json],
        [
          'ResourceCreated',
          (
            await sms.create({
              phoneNumber: JANE,
              emailAddress: 'jane@example.com',
              birthday: '1990-04-01T00:00:00Z',
              segmentationFieldValues: [{ segmentationFieldId: 302, value: 'on' }]
            })
          ).json
        ],
        ['ResourceUpdated', (await sms.update({ phoneNumber: JANE, firstName: 'Jane' })).json],
        ['ResourceCreated', (await sms.subscribe(JANE, 202)).json],
        ['Resource[SMSContactSubscriptionDetails]', (await sms.contact(JANE)).json],
        ['Collection[ContactListSubscription]', (await sms.subscriptions(JANE)).json],
        ['ResourceCreated', (await sms.send({ phoneNumber: JANE, messageContent: 'Order A-1 shipped' })).json],
        ['ResourceDeleted', (await sms.unsubscribe(JANE, 202)).json],
        ['Error', (await sms.create({ phoneNumber: JANE })).json],
        ['Error', (await sms.send({ phoneNumber: '555', messageContent: 'Hi' })).json],
        ['Error', (await sms.get('/ShortCode/101/PhoneList?status=paused')).json]
      ]
      // Listrak's definition of one list is a bare `PhoneList`, its example `{ status, data: [PhoneList] }`; the sandbox
      // answers as the example does, each list as the definition says.
      const one = (await sms.get('/ShortCode/101/PhoneList/201')).json as { status: number; data: unknown[] }
      expect([one.status, one.data.length]).toEqual([200, 1])
      answers.push(['PhoneList', one.data[0]])
      for (const [name, answer] of answers) {
        const schema: Schema = definition(name)
        expect([name, violations(answer, schema, spec)]).toEqual([name, []])
      }
    } finally {
      await sandbox.stop()
    }
  })
})
