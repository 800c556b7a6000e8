import { createRequestClient } from '@segment/actions-core'
import { withUrls } from '../../src/api/client'
import { LISTRAK_URLS } from '../../src/api/urls'
import nock from 'nock'
import { findMessageSends } from '../../runtime/commands/reconcile/message-activity'

/** The activity route's client alone, against Listrak's address with nock. */

const ACTIVITY = '/email/v1/List/12345/TransactionalMessage/9001/Activity'
const question = {
  listId: 12345,
  transactionalMessageId: 9001,
  emailAddress: 'Jane@Example.com',
  from: Date.parse('2026-12-04T15:00:00.250Z'),
  until: Date.parse('2026-12-04T15:10:00.250Z')
}
const request = withUrls(createRequestClient(), LISTRAK_URLS)
const listrak = () => nock('https://api.listrak.com')

beforeEach(() => {
  delete process.env.LISTRAK_API_URL
})
afterEach(() => nock.cleanAll())

it("asks for the recipient's sends by send date, the end rounded up to the second, and follows every page", async () => {
  listrak()
    .get(ACTIVITY)
    .query({
      emailAddress: 'Jane@Example.com',
      dateType: 'Send',
      startDate: '2026-12-04T15:00:00Z',
      endDate: '2026-12-04T15:10:01Z',
      cursor: 'Start',
      count: '5000'
    })
    .reply(200, {
      status: 200,
      nextPageCursor: `${ACTIVITY}?emailAddress=x&cursor=page2`,
      data: [{ emailAddress: 'jane@example.com', sendDate: '2026-12-04T15:01:00' }]
    })
  listrak()
    .get(ACTIVITY)
    .query({ emailAddress: 'x', cursor: 'page2' })
    .reply(200, {
      status: 200,
      nextPageCursor: 'page3',
      data: [{ emailAddress: 'john@example.com', sendDate: '2026-12-04T15:02:00' }, { sendDate: null }]
    })
  listrak()
    .get(ACTIVITY)
    .query({ emailAddress: 'x', cursor: 'page3' })
    .reply(200, { status: 200, nextPageCursor: '', data: [] })
  // Another address's activity is not this recipient's; one that names none is taken as theirs.
  expect(await findMessageSends(request, question)).toEqual({
    ok: true,
    sends: [{ sendDate: '2026-12-04T15:01:00' }, {}]
  })
  expect(nock.isDone()).toBe(true)
})

it('fails, naming the message, when Listrak answers an error or pages past what one address can have', async () => {
  listrak()
    .get(ACTIVITY)
    .query(true)
    .reply(404, { status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message: 'Unable to locate a resource.' })
  const missing = await findMessageSends(request, question)
  expect(missing).toMatchObject({
    ok: false,
    failure: { status: 404, said: 'HTTP 404 ERROR_UNABLE_TO_LOCATE_RESOURCE: Unable to locate a resource.' }
  })

  listrak()
    .get(ACTIVITY)
    .query(true)
    .times(20)
    .reply(200, { status: 200, nextPageCursor: 'more', data: [{ emailAddress: 'jane@example.com' }] })
  expect(await findMessageSends(request, question)).toEqual({
    ok: false,
    failure: {
      status: 502,
      errortype: 'BAD_GATEWAY',
      message:
        'Listrak answered the activity of transactional message 9001 on list 12345 with more than 20 pages of 5000 ' +
        'for one address: the address filter was not applied.'
    }
  })
})
