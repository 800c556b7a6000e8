import nock from 'nock'
import { API, auth, isolateNetwork, newIntegration, settings } from './fixtures'

isolateNetwork()

const dynamic = (action: string, field: string, payload: object = {}) =>
  newIntegration().testDynamicField(action, field, { settings, payload, auth })

const lists = () =>
  nock(API)
    .get('/email/v1/List')
    .reply(200, {
      status: 200,
      data: [
        { listId: 12345, listName: 'Newsletter' },
        { listId: 67890, listName: 'Promotions' }
      ]
    })

describe('List ID', () => {
  it.each(['upsertContact', 'unsubscribeContact', 'sendTransactionalMessage'])(
    'offers the lists by name and ID in %s',
    async (action) => {
      lists()
      expect(await dynamic(action, 'listId')).toEqual({
        choices: [
          { label: 'Newsletter (12345)', value: '12345' },
          { label: 'Promotions (67890)', value: '67890' }
        ]
      })
    }
  )
})

describe('Event IDs (Create or Update Contact)', () => {
  it("offers the chosen list's events by name, saying which are blocked", async () => {
    nock(API)
      .get('/email/v1/List/12345/Event')
      .reply(200, {
        status: 200,
        data: [
          { eventId: 3001, eventName: 'Welcome Series', eventGroupId: 1, status: 'Active' },
          { eventId: 3002, eventName: 'Old Promo', eventGroupId: 1, status: 'Blocked' },
          { eventId: 3003, eventName: null, eventGroupId: 1, status: 'Active' }
        ]
      })
    expect(await dynamic('upsertContact', 'eventIds', { listId: 12345 })).toEqual({
      choices: [
        { label: 'Welcome Series (3001)', value: '3001' },
        { label: 'Old Promo (3002, Blocked)', value: '3002' },
        { label: 'Event 3003 (3003)', value: '3003' }
      ]
    })
  })

  it('asks for a list first', async () => {
    expect(await dynamic('upsertContact', 'eventIds')).toEqual({
      choices: [],
      error: { code: '400', message: 'Choose a List ID first: the events come from the chosen list.' }
    })
  })

  it("answers Listrak's failure as the field's error, with its code", async () => {
    nock(API)
      .get('/email/v1/List/999/Event')
      .reply(404, { status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message: 'No such list.' })
    expect(await dynamic('upsertContact', 'eventIds', { listId: 999 })).toEqual({
      choices: [],
      error: {
        code: '404',
        message:
          'Listrak answered HTTP 404 ERROR_UNABLE_TO_LOCATE_RESOURCE: No such list. for the events of list 999: the ' +
          'list does not exist for these API credentials. Check the List ID.'
      }
    })
  })
})

describe('Transactional Message ID (Send Transactional Message)', () => {
  it("offers the chosen list's transactional messages by name and subject", async () => {
    nock(API)
      .get('/email/v1/List/12345/TransactionalMessage')
      .reply(200, {
        status: 200,
        data: [
          {
            transactionalMessageId: 501,
            transactionalMessageName: 'Order Confirmation',
            campaignId: 1,
            externalCampaignId: 'oc',
            subject: 'Thanks for your order'
          },
          {
            transactionalMessageId: 502,
            transactionalMessageName: null,
            campaignId: 1,
            externalCampaignId: '',
            subject: null
          }
        ]
      })
    expect(await dynamic('sendTransactionalMessage', 'transactionalMessageId', { listId: 12345 })).toEqual({
      choices: [
        { label: 'Order Confirmation: "Thanks for your order" (501)', value: '501' },
        { label: 'Transactional message 502 (502)', value: '502' }
      ]
    })
  })

  it('asks for a list first', async () => {
    expect(await dynamic('sendTransactionalMessage', 'transactionalMessageId')).toMatchObject({
      choices: [],
      error: { code: '400', message: 'Choose a List ID first: the transactional messages come from the chosen list.' }
    })
  })

  it('reads a body it cannot understand as a failure, not as choices', async () => {
    nock(API)
      .get('/email/v1/List/12345/TransactionalMessage')
      .reply(200, { status: 200, data: [{ subject: 'x' }] })
    expect(await dynamic('sendTransactionalMessage', 'transactionalMessageId', { listId: 12345 })).toMatchObject({
      choices: [],
      error: { code: '502' }
    })
  })
})

describe('Profile Field Values and Merge Values', () => {
  const fields = () =>
    nock(API)
      .get('/email/v1/List/12345/SegmentationFieldGroup')
      .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
      .get('/email/v1/List/12345/SegmentationFieldGroup/1/SegmentationField')
      .reply(200, {
        status: 200,
        data: [
          { segmentationFieldId: 6789, segmentationFieldName: 'vip', dataType: 'CheckBox', maxLength: 3 },
          { segmentationFieldId: 7001, segmentationFieldName: 'order_id', dataType: 'Text', maxLength: 50 }
        ]
      })

  it.each(['upsertContact', 'sendTransactionalMessage'])("offer the list's profile fields in %s", async (action) => {
    fields()
    expect(await dynamic(action, 'profileFieldValues.__keys__', { listId: 12345 })).toEqual({
      choices: [
        { label: 'Fields › vip (6789, CheckBox)', value: '6789' },
        { label: 'Fields › order_id (7001, Text)', value: '7001' }
      ]
    })
  })

  it('offer useAudienceKey for a check box where the action reads a membership, and not elsewhere', async () => {
    fields()
    const upsert = (await dynamic('upsertContact', 'profileFieldValues.6789', { listId: 12345 })) as {
      choices: { value: string }[]
    }
    fields()
    const message = (await dynamic('sendTransactionalMessage', 'profileFieldValues.6789', { listId: 12345 })) as {
      choices: { value: string }[]
    }
    expect(upsert.choices.map((c) => c.value)).toEqual(['on', 'off', 'useAudienceKey'])
    expect(message.choices.map((c) => c.value)).toEqual(['on', 'off'])
  })
})
