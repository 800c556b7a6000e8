import { Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import destination from '../../src'
import { withFieldDefaults } from '../../runtime/pipeline/subscriptions'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { useSandbox } from '../sandbox/client'

/** The destination, registered in actions-core's real Destination, talking to the sandbox over loopback. */

const { current, start } = useSandbox({ asListrak: true })

const subscription = (subscribe: string, mapping: Record<string, unknown>) => ({
  subscribe,
  partnerAction: 'updateEmailContactProfileFields',
  mapping: withFieldDefaults(destination.actions.updateEmailContactProfileFields.fields, mapping)
})

/** Settings as a runtime holds them: the demo credentials, no token yet (the first 401 fetches one). */
const settingsWith = (...subscriptions: ReturnType<typeof subscription>[]) => ({
  client_id: 'demo-client-id',
  client_secret: 'demo-client-secret',
  oauth: {},
  subscriptions
})

type Multistatus = { status: number; errormessage?: string }[]

async function send(events: Partial<SegmentEvent>[], settings: ReturnType<typeof settingsWith>) {
  const results = (await new Destination(current.destination).onBatch(events as SegmentEvent[], settings as never)) as {
    multistatus?: Multistatus
  }[]
  return results.map((r) => r.multistatus ?? [])
}

const contacts = (listId: number) => current.api.contacts(listId)
const stats = async () => (await current.api.call('GET', '/_sandbox/stats')).json as Record<string, number>

describe('destination → sandbox over loopback', () => {
  it('syncs an audience with one useAudienceKey mapping: Entered on, Exited off', async () => {
    await start()
    const settings = settingsWith(
      subscription('context.personas.computation_key = "my_audience"', {
        listId: 12345,
        profileFieldValues: { '6789': 'useAudienceKey' }
      })
    )
    const [first] = await send(
      [
        audienceTrack('jane@example.com', 'my_audience', true),
        audienceTrack('john@example.com', 'my_audience', true),
        audienceIdentify('ana@example.com', 'my_audience', true),
        audienceTrack('other@example.com', 'another_audience', true)
      ],
      settings
    )
    expect(first.map((r) => r.status)).toEqual([201, 201, 201, 400])
    const [second] = await send(
      [
        audienceTrack('john@example.com', 'my_audience', false),
        audienceIdentify('ana@example.com', 'my_audience', false)
      ],
      settings
    )
    expect(second.map((r) => r.status)).toEqual([201, 201])

    expect(await contacts(12345)).toEqual({
      'jane@example.com': { '6789': 'on' },
      'john@example.com': { '6789': 'off' },
      'ana@example.com': { '6789': 'off' }
    })
    expect((await stats()).tokensIssued).toBe(1)
  })

  it('syncs an audience with two mappings, "on" for Entered and "off" for Exited', async () => {
    await start()
    const settings = settingsWith(
      subscription('event = "Audience Entered" and properties.audience_key = "my_audience"', {
        listId: 12345,
        profileFieldValues: { '6789': 'on' }
      }),
      subscription('event = "Audience Exited" and properties.audience_key = "my_audience"', {
        listId: 12345,
        profileFieldValues: { '6789': 'off' }
      })
    )
    await send(
      [audienceTrack('jane@example.com', 'my_audience', true), audienceTrack('john@example.com', 'my_audience', true)],
      settings
    )
    await send([audienceTrack('john@example.com', 'my_audience', false)], settings)
    expect(await contacts(12345)).toEqual({
      'jane@example.com': { '6789': 'on' },
      'john@example.com': { '6789': 'off' }
    })
  })

  it('reads and imports many lists concurrently, never more than 4 requests at once', async () => {
    const lists = Array.from({ length: 10 }, (_, i) => ({
      listId: 1000 + i,
      listName: `List ${i}`,
      segmentationFieldGroups: [
        {
          segmentationFieldGroupId: 1,
          segmentationFieldGroupName: 'Engage Audiences',
          segmentationFields: [{ segmentationFieldId: 6789, segmentationFieldName: 'a', dataType: 'CheckBox' as const }]
        }
      ]
    }))
    await start({
      fixture: { credentials: [{ clientId: 'demo-client-id', clientSecret: 'demo-client-secret' }], lists },
      faults: { latencyMs: 30 }
    })
    const events = Array.from({ length: 30 }, (_, i) => {
      const event = audienceTrack(`user${i}@example.com`, 'my_audience', true)
      return { ...event, properties: { ...event.properties, list: 1000 + (i % 10) } }
    })
    const settings = settingsWith(
      subscription('type = "track"', {
        listId: { '@path': '$.properties.list' },
        profileFieldValues: { '6789': 'useAudienceKey' }
      })
    )
    // Fetch the token first, so no request of the measured batch waits on it.
    await send([events[0]], settings)
    const [results] = await send(events, settings)
    expect(results.every((r) => r.status === 201)).toBe(true)
    const after = await stats()
    expect(after.imports).toBe(11)
    expect(after.maxInFlight).toBe(4)
  })

  it('keeps working when tokens stop after four uses: each 401 fetches a new token', async () => {
    // The first batch reads the list's fields (three requests) and imports; later batches only import.
    await start({ faults: { tokenMaxUses: 4 } })
    const settings = settingsWith(
      subscription('context.personas.computation_key = "my_audience"', {
        listId: 12345,
        profileFieldValues: { '6789': 'useAudienceKey' }
      })
    )
    for (let i = 0; i < 6; i++) {
      const [results] = await send([audienceTrack(`u${i}@example.com`, 'my_audience', true)], settings)
      expect(results[0].status).toBe(201)
    }
    expect(Object.keys(await contacts(12345))).toHaveLength(6)
    expect((await stats()).tokensIssued).toBe(3)
  })

  it('refuses a field that is not on the list, per event, before Listrak sees it', async () => {
    await start()
    const settings = settingsWith(
      subscription('type = "track"', { listId: 12345, profileFieldValues: { '8801': 'on' } })
    )
    const [results] = await send([audienceTrack('jane@example.com', 'my_audience', true)], settings)
    expect(results[0].status).toBe(400)
    expect(results[0].errormessage).toBe('Profile Field Values: list 12345 has no profile field 8801.')
    expect((await stats()).imports).toBe(0)
  })

  it("takes a value exactly as long as its field's maxLength (50) and refuses one character more, before Listrak sees it", async () => {
    await start()
    const settings = settingsWith(
      subscription('type = "track"', {
        listId: 12345,
        profileFieldValues: { '7001': { '@path': '$.properties.store' } }
      })
    )
    const fits = 's'.repeat(50)
    const [results] = await send(
      [
        { ...audienceTrack('jane@example.com', 'my_audience', true), properties: { store: fits } },
        { ...audienceTrack('john@example.com', 'my_audience', true), properties: { store: `${fits}s` } }
      ],
      settings
    )
    expect(results.map((r) => r.status)).toEqual([201, 400])
    expect(results[1].errormessage).toBe(
      `Profile Field Values: field 7001 ("favorite_store", a Text field) holds at most 50 characters; the value ` +
        `"${fits}s" has 51.`
    )
    expect(await contacts(12345)).toEqual({ 'jane@example.com': { '7001': fits } })
    expect((await stats()).imports).toBe(1)
  })

  it('refuses "maybe" on a check box for its event alone; the other 999 contacts of the import are delivered', async () => {
    await start()
    const settings = settingsWith(
      subscription('type = "track"', {
        listId: 12345,
        profileFieldValues: { '6789': { '@path': '$.properties.choice' }, '7001': { '@path': '$.properties.store' } }
      })
    )
    const events = Array.from({ length: 1000 }, (_, i) => ({
      ...audienceTrack(`user${i}@example.com`, 'my_audience', true),
      properties: { choice: i === 500 ? 'maybe' : 'on', store: 'Downtown' }
    }))
    const [results] = await send(events, settings)
    expect(results.filter((r) => r.status === 201)).toHaveLength(999)
    expect(results[500]).toMatchObject({
      status: 400,
      errormessage: 'Profile Field Values: field 6789 ("my_audience", a check box) takes "on" or "off", not "maybe".'
    })
    const stored = await contacts(12345)
    expect(Object.keys(stored)).toHaveLength(999)
    expect(stored['user0@example.com']).toEqual({ '6789': 'on', '7001': 'Downtown' })
    expect(stored['user500@example.com']).toBeUndefined()
    expect((await stats()).imports).toBe(1)
  })

  it('reports a sandbox that is down as retryable for every event', async () => {
    await start()
    await current.sandbox.stop()
    const settings = settingsWith(
      subscription('type = "track"', { listId: 12345, profileFieldValues: { '6789': 'on' } })
    )
    const [results] = await send(
      [audienceTrack('jane@example.com', 'my_audience', true), audienceTrack('john@example.com', 'my_audience', true)],
      settings
    )
    expect(results).toEqual([
      expect.objectContaining({
        status: 500,
        errortype: 'RETRYABLE_ERROR',
        errormessage: expect.stringContaining('ECONNREFUSED')
      }),
      expect.objectContaining({ status: 500, errortype: 'RETRYABLE_ERROR' })
    ])
  })
})
