import { useSandbox } from './client'
import { expectRefusal, listrakApi } from './listrak-api'

/** `GET /v1/List/{listId}/TransactionalMessage/{transactionalMessageId}/Activity`, as Listrak's contract has it. */

const { current: box, start } = useSandbox()
let api: ReturnType<typeof listrakApi>
let token: string

beforeEach(async () => {
  await start()
  token = await box.api.token()
  api = listrakApi(box.sandbox, token)
})

/** A page at the URI Listrak gave as `nextPageCursor`. */
const page = (uri: string) => box.api.call('GET', uri, { headers: { authorization: `Bearer ${token}` } })
const setFaults = (faults: Record<string, unknown>) =>
  box.api.call('POST', '/_sandbox/faults', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults)
  })

const ACTIVITY = '/List/12345/TransactionalMessage/9001/Activity'
const send = async (emailAddress: string, messageId = 9001) =>
  expect((await api.send({ emailAddress, segmentationFieldValues: [] }, messageId)).status).toBe(201)
const sentAt = async () => ((await api.messages()).data as { sentAt: string }[]).map((s) => s.sentAt)

describe('the activity of a transactional message', () => {
  it("shows each send to an address, in any case, with its send date and resend key, in Listrak's paged envelope", async () => {
    await send('Jane@Example.com')
    await send('john@example.com')
    await send('jane@example.com', 9002)
    await send('jane@example.com')
    const [first, , , last] = await sentAt()
    const answer = await api.get(`${ACTIVITY}?emailAddress=JANE%40example.com`)
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      status: 200,
      nextPageCursor: null,
      data: [first, last].map((sendDate, i) => ({
        abuse: false,
        activityDate: null,
        bounce: false,
        bounceReason: null,
        click: false,
        clickCount: 0,
        emailAddress: i === 0 ? 'Jane@Example.com' : 'jane@example.com',
        open: false,
        orderTotal: 0,
        read: false,
        sendDate,
        unsubscribe: false,
        visitDate: null,
        externalContactID: null,
        resendKey: expect.stringMatching(/^[0-9a-f-]{36}$/)
      }))
    })
    const keys = (answer.json.data as { resendKey: string }[]).map((a) => a.resendKey)
    expect(new Set(keys).size).toBe(2)
    // Without an address: every send of the message, and none of another message.
    expect((await api.get(ACTIVITY)).json.data).toHaveLength(3)
  })

  it('keeps the sends between startDate and endDate (dateType Send, inclusive); Activity dates match none', async () => {
    await send('jane@example.com')
    const [sendDate] = await sentAt()
    const at = Date.parse(sendDate)
    const range = (from: number, until: number, dateType = 'Send') =>
      api.get(
        `${ACTIVITY}?emailAddress=jane@example.com&dateType=${dateType}` +
          `&startDate=${new Date(from).toISOString()}&endDate=${new Date(until).toISOString()}`
      )
    expect((await range(at, at)).json.data).toHaveLength(1)
    expect((await range(at - 60_000, at - 1)).json.data).toEqual([])
    expect((await range(at + 1, at + 60_000)).json.data).toEqual([])
    expect((await range(at - 60_000, at + 60_000, 'Activity')).json.data).toEqual([])
  })

  it('shows a send only once activityLagMs has passed since it was sent', async () => {
    await setFaults({ activityLagMs: 60_000 })
    await send('jane@example.com')
    expect((await api.get(ACTIVITY)).json).toEqual({ status: 200, nextPageCursor: null, data: [] })
    await setFaults({ activityLagMs: 0 })
    expect((await api.get(ACTIVITY)).json.data).toHaveLength(1)
  })

  it('pages by count, and nextPageCursor leads to the next page until the last, where it is null', async () => {
    for (let i = 0; i < 5; i++) await send(`buyer${i}@example.com`)
    const first = await api.get(`${ACTIVITY}?count=2`)
    const emails = (answer: typeof first) => (answer.json.data as { emailAddress: string }[]).map((a) => a.emailAddress)
    expect(emails(first)).toEqual(['buyer0@example.com', 'buyer1@example.com'])
    const second = await page(first.json.nextPageCursor as string)
    expect(emails(second)).toEqual(['buyer2@example.com', 'buyer3@example.com'])
    const third = await page(second.json.nextPageCursor as string)
    expect([emails(third), third.json.nextPageCursor]).toEqual([['buyer4@example.com'], null])
  })

  it.each([
    ['a dateType it does not take', '?dateType=Open', 'dateType'],
    ['a count of 0', '?count=0', 'count: give a number from 1 to 5000'],
    ['a count above 5000', '?count=5001', 'count: give a number from 1 to 5000'],
    ['a date that is not one', '?startDate=yesterday', 'startDate: give an ISO 8601 date'],
    ['a cursor it did not give', '?cursor=abc', 'cursor']
  ])('refuses %s with 400', async (_, query, message) => {
    expectRefusal(await api.get(`${ACTIVITY}${query}`), 400, 'ERROR_INVALID_PARAMETER', message)
  })

  it('answers 404 for a message the list does not have, and 401 without a token', async () => {
    const text = 'Unable to locate a resource associated with the listId and transactionalMessageId supplied.'
    expectRefusal(
      await api.get('/List/12345/TransactionalMessage/9999/Activity'),
      404,
      'ERROR_UNABLE_TO_LOCATE_RESOURCE',
      text
    )
    expectRefusal(await box.api.call('GET', `/email/v1${ACTIVITY}`), 401, 'ERROR_UNAUTHORIZED')
  })
})
