import { FixtureInput, startSandbox } from '../../sandbox'
import { useSandbox } from './client'
import { expectRefusal } from './listrak-api'
import { smsApiFor } from './sms-api'

/** The SMS account's reads: sender codes, phone lists, profile fields and transactional messages, and its fixture. */

const { current: box, start } = useSandbox()

const dataOf = (answer: { json: { data?: unknown[] } }) => answer.json.data as Record<string, unknown>[]

describe('sender codes', () => {
  it('lists the fixture sender code as Listrak does, its other members neutral', async () => {
    const sms = await smsApiFor(await start())
    const answer = await sms.get('/ShortCode')
    expect(answer.status).toBe(200)
    expect(dataOf(answer)).toEqual([
      expect.objectContaining({
        shortCodeId: 101,
        code: '12345',
        country: 'US',
        merchantName: 'Acme',
        emailListId: 0,
        emailListName: null
      })
    ])
  })

  it('reads one sender code', async () => {
    const sms = await smsApiFor(await start())
    const answer = await sms.get('/ShortCode/101')
    expect(answer.json).toMatchObject({ status: 200, data: { shortCodeId: 101, country: 'US' } })
  })

  it('answers 404 for an unknown sender code and 400 for an ID that is not one', async () => {
    const sms = await smsApiFor(await start())
    expectRefusal(await sms.get('/ShortCode/999'), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'the senderCodeId supplied')
    expectRefusal(await sms.get('/ShortCode/abc'), 400, 'ERROR_INVALID_PARAMETER', 'senderCodeId')
  })
})

describe('phone lists', () => {
  beforeEach(() => start())

  const listIds = async (query = '') =>
    dataOf(await (await smsApiFor(box.sandbox)).get(`/ShortCode/101/PhoneList${query}`))

  it('lists the sender code lists with their status and opt-in settings', async () => {
    const lists = await listIds()
    expect(lists).toEqual([
      expect.objectContaining({ phoneListId: 201, phoneListName: 'Marketing', status: 'Active' }),
      expect.objectContaining({ phoneListId: 202, phoneListName: 'VIP', requireDoubleOptIn: true }),
      expect.objectContaining({ phoneListId: 203, phoneListName: 'Old', status: 'Inactive' })
    ])
  })

  it('keeps the lists of one status, in any case', async () => {
    expect((await listIds('?status=active')).map((l) => l.phoneListId)).toEqual([201, 202])
    expect((await listIds('?status=INACTIVE')).map((l) => l.phoneListId)).toEqual([203])
  })

  it('refuses another status with ERROR_INVALID_PARAMETER', async () => {
    const sms = await smsApiFor(box.sandbox)
    expectRefusal(await sms.get('/ShortCode/101/PhoneList?status=paused'), 400, 'ERROR_INVALID_PARAMETER', 'status')
  })

  it('takes a page with cursor and count', async () => {
    expect((await listIds('?cursor=1&count=1')).map((l) => l.phoneListId)).toEqual([202])
  })

  it('reads one list, wrapped as the example of Listrak', async () => {
    const sms = await smsApiFor(box.sandbox)
    const answer = await sms.get('/ShortCode/101/PhoneList/202')
    expect(answer.json).toEqual({ status: 200, data: [expect.objectContaining({ phoneListId: 202 })] })
  })

  it('answers 404 for a list the sender code does not have', async () => {
    const sms = await smsApiFor(box.sandbox)
    const answer = await sms.get('/ShortCode/101/PhoneList/999')
    expectRefusal(answer, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'senderCodeId and phoneListId')
  })
})

describe('profile fields and transactional messages', () => {
  beforeEach(() => start())

  it("lists the company's profile fields with their type, length and status", async () => {
    const sms = await smsApiFor(box.sandbox)
    expect(dataOf(await sms.get('/ShortCode/101/SegmentationField'))).toEqual([
      {
        segmentationFieldId: 301,
        segmentationFieldName: 'favorite_store',
        dataType: 'Text',
        maxLength: 50,
        statusFlag: 'Active'
      },
      {
        segmentationFieldId: 302,
        segmentationFieldName: 'vip',
        dataType: 'Checkbox',
        maxLength: null,
        statusFlag: 'Active'
      },
      {
        segmentationFieldId: 303,
        segmentationFieldName: 'last_order_date',
        dataType: 'Date',
        maxLength: null,
        statusFlag: 'Active'
      },
      {
        segmentationFieldId: 304,
        segmentationFieldName: 'retired',
        dataType: 'Text',
        maxLength: null,
        statusFlag: 'Disabled'
      }
    ])
  })

  it("lists a list's transactional messages", async () => {
    const sms = await smsApiFor(box.sandbox)
    expect(dataOf(await sms.get('/ShortCode/101/PhoneList/201/TransactionalMessage'))).toEqual([
      { transactionalMessageId: 401, transactionalMessageName: 'Order Shipped', transactionalMessageStatus: 'Active' }
    ])
    expect(dataOf(await sms.get('/ShortCode/101/PhoneList/202/TransactionalMessage'))).toEqual([])
  })
})

/** Two sender codes: the US one of the default fixture, and a British one with a list and a message of its own. */
const TWO_SENDER_CODES: FixtureInput = {
  credentials: [{ clientId: 'demo-sms-client-id', clientSecret: 'demo-sms-client-secret', integration: 'SMS' }],
  lists: [],
  sms: {
    senderCodes: [
      {
        senderCodeId: 101,
        code: '12345',
        country: 'US',
        merchantName: 'Acme',
        phoneLists: [
          { phoneListId: 201, phoneListName: 'Marketing', transactionalMessages: [] },
          {
            phoneListId: 202,
            phoneListName: 'VIP',
            transactionalMessages: [{ transactionalMessageId: 402, transactionalMessageName: 'Back in stock' }]
          }
        ]
      },
      {
        senderCodeId: 102,
        code: '60000',
        country: 'GB',
        merchantName: 'Acme UK',
        phoneLists: [{ phoneListId: 211, phoneListName: 'UK' }]
      }
    ]
  }
}

describe('another fixture', () => {
  it('refuses a list of another sender code with ERROR_INVALID_LIST_ID', async () => {
    const sms = await smsApiFor(await start({ fixture: TWO_SENDER_CODES }))
    const answer = await sms.create({ phoneNumber: '2155550123' }, 211)
    expectRefusal(
      answer,
      400,
      'ERROR_INVALID_LIST_ID',
      'List 211 is not a list of sender code 101, but of sender code 102'
    )
  })

  it('refuses a message of another list with ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND', async () => {
    const sms = await smsApiFor(await start({ fixture: TWO_SENDER_CODES }))
    const answer = await sms.send({ phoneNumber: '2155550123', messageContent: 'Hi' }, 402, 201)
    expectRefusal(answer, 400, 'ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND', 'not a message of list 201, but of list 202')
  })

  it('takes the phones of a sender code outside North America as 6 to 15 digits, or + and 7 to 15 with e164', async () => {
    const sms = await smsApiFor(await start({ fixture: TWO_SENDER_CODES }))
    expect((await sms.create({ phoneNumber: '07700900123' }, 211, 102)).status).toBe(201)
    expectRefusal(
      await sms.create({ phoneNumber: '+447700900124' }, 211, 102),
      400,
      'ERROR_INVALID_PHONE_NUMBER',
      '6 to 15 digits'
    )
    await box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ smsPhoneFormat: 'e164' }) })
    expect((await sms.create({ phoneNumber: '+447700900124' }, 211, 102)).json).toEqual({
      status: 201,
      resourceId: '+447700900124'
    })
  })

  it('starts with no SMS account when the fixture has none', async () => {
    const sms = await smsApiFor(
      await start({
        fixture: {
          credentials: [{ clientId: 'demo-sms-client-id', clientSecret: 'demo-sms-client-secret', integration: 'SMS' }],
          lists: []
        }
      })
    )
    expect((await sms.get('/ShortCode')).json).toEqual({ status: 200, data: [] })
  })

  it.each([
    [
      'a country that is not an ISO code',
      { country: 'usa' },
      /sms\.senderCodes\.0\.country: give an ISO 3166-1 alpha-2 code/
    ],
    [
      'a banned phone that is not one',
      { bannedPhoneNumbers: ['555-0199'] },
      /sms\.senderCodes\.0\.bannedPhoneNumbers\.0: "555-0199"/
    ],
    [
      'a list ID twice',
      {
        phoneLists: [
          { phoneListId: 1, phoneListName: 'A' },
          { phoneListId: 1, phoneListName: 'B' }
        ]
      },
      /sms\.senderCodes\.0\.phoneLists\.1\.phoneListId: duplicate phoneListId/
    ]
  ])('refuses a fixture with %s, naming the key', async (_, change, problem) => {
    const code = { senderCodeId: 101, code: '1', country: 'US', merchantName: 'A', ...change }
    const fixture = { credentials: [{ clientId: 'c', clientSecret: 's' }], lists: [], sms: { senderCodes: [code] } }
    await expect(startSandbox({ fixture: fixture as never })).rejects.toThrow(problem)
  })

  it('refuses a coupon tag pattern that is not a regular expression', async () => {
    const fixture = { credentials: [{ clientId: 'c', clientSecret: 's' }], lists: [], sms: { couponTagPattern: '[[' } }
    await expect(startSandbox({ fixture })).rejects.toThrow(/sms\.couponTagPattern: give a regular expression/)
  })

  it('refuses a list of two sender codes', async () => {
    const code = (senderCodeId: number) => ({
      senderCodeId,
      code: String(senderCodeId),
      country: 'US',
      merchantName: 'A',
      phoneLists: [{ phoneListId: 7, phoneListName: 'Seven' }]
    })
    const fixture = {
      credentials: [{ clientId: 'c', clientSecret: 's' }],
      lists: [],
      sms: { senderCodes: [code(1), code(2)] }
    }
    await expect(startSandbox({ fixture })).rejects.toThrow(
      /sms\.senderCodes\.1\.phoneLists\.0\.phoneListId: duplicate phoneListId across sender codes/
    )
  })
})
