import { createRequestClient, Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import destination from '../../src'
import { withUrls } from '../../src/api/client'
import { MISS_REFRESH_INTERVAL_MS, ListFieldCache, listFieldCache } from '../../src/profile-fields/definitions'
import { withFieldDefaults } from '../../runtime/pipeline/subscriptions'
import { audienceTrack } from '../engage-events'
import { fetchToken, useSandbox } from '../sandbox/client'

/** "Profile field from audience key": one mapping for every audience, against the sandbox over loopback. */

const { current, start } = useSandbox({ asListrak: true })

beforeEach(() => listFieldCache.clear())

const AUDIENCES = ['my_audience', 'vip_customers', 'cart_abandoners', 'high_value', 'newsletter_fans']

const settings = (mapping: Record<string, unknown>) => ({
  client_id: 'demo-client-id',
  client_secret: 'demo-client-secret',
  oauth: {},
  subscription: {
    subscribe: 'context.personas.computation_class = "audience"',
    partnerAction: 'updateEmailContactProfileFields',
    mapping: withFieldDefaults(destination.actions.updateEmailContactProfileFields.fields, {
      listId: 12345,
      ...mapping
    })
  }
})

async function send(events: Partial<SegmentEvent>[], mapping: Record<string, unknown>) {
  const [result] = (await new Destination(current.destination).onBatch(
    events as SegmentEvent[],
    settings(mapping) as never
  )) as {
    multistatus: { status: number; errormessage?: string; errortype?: string }[]
  }[]
  return result.multistatus
}

const gets = (path: RegExp) =>
  current.sandbox.state.requests.all.filter((r) => r.method === 'GET' && r.status === 200 && path.test(r.path)).length
const posts = (path: RegExp) =>
  current.sandbox.state.requests.all.filter((r) => r.method === 'POST' && path.test(r.path)).length
const fieldNamed = (name: string) =>
  [...(current.sandbox.state.lists.get(12345)?.fields.values() ?? [])].find((f) => f.segmentationFieldName === name)

describe('match or create', () => {
  it('syncs five audiences with one mapping, creating each missing field once', async () => {
    await start()
    const events = AUDIENCES.flatMap((audience, a) =>
      Array.from({ length: 40 }, (_, i) => audienceTrack(`u${i}@example.com`, audience, (i + a) % 2 === 0))
    )
    const results = await send(events, { profileFieldValues: {}, audienceProfileField: 'match_or_create' })
    expect(results.every((r) => r.status === 201)).toBe(true)

    // One group and three fields created (my_audience and vip_customers exist in the fixture), each once.
    expect(posts(/\/SegmentationFieldGroup$/)).toBe(1)
    expect(posts(/\/SegmentationFieldGroup\/\d+\/SegmentationField$/)).toBe(3)
    const list = current.sandbox.state.lists.get(12345)
    expect(list?.groups.map((g) => g.segmentationFieldGroupName)).toEqual([
      'Engage Audiences',
      'Preferences',
      'Segment Audiences'
    ])
    for (const audience of ['cart_abandoners', 'high_value', 'newsletter_fans']) {
      expect(fieldNamed(audience)).toMatchObject({ dataType: 'CheckBox' })
    }

    const ids = AUDIENCES.map((a) => String(fieldNamed(a)?.segmentationFieldId))
    const contact = current.sandbox.state.contactsOf(12345).find((c) => c.emailAddress === 'u0@example.com')
    expect(contact?.fields).toEqual(Object.fromEntries(ids.map((id, a) => [id, a % 2 === 0 ? 'on' : 'off'])))

    // A second batch finds everything in the cache: no reads, no creations.
    const reads = gets(/SegmentationFieldGroup/)
    const results2 = await send([audienceTrack('late@example.com', 'high_value', true)], {
      audienceProfileField: 'match_or_create'
    })
    expect(results2[0].status).toBe(201)
    expect(gets(/SegmentationFieldGroup/)).toBe(reads)
    expect(posts(/SegmentationFieldGroup/)).toBe(4)
  })

  it('reads the list once for a batch of 1,000 events over five audiences', async () => {
    await start()
    const events = Array.from({ length: 1000 }, (_, i) =>
      audienceTrack(`u${i}@example.com`, AUDIENCES[i % 5], i % 3 !== 0)
    )
    const results = await send(events, { audienceProfileField: 'match_or_create' })
    expect(results.filter((r) => r.status === 201)).toHaveLength(1000)
    expect(gets(/\/SegmentationFieldGroup$/)).toBe(1)
  })

  it('keeps explicit Profile Field Values alongside the audience field', async () => {
    await start()
    await send([audienceTrack('jane@example.com', 'my_audience', false)], {
      profileFieldValues: { '6790': 'on' },
      audienceProfileField: 'match'
    })
    expect(current.sandbox.state.contactsOf(12345)).toEqual([
      { emailAddress: 'jane@example.com', fields: { '6790': 'on', '6789': 'off' } }
    ])
  })

  it("lets an explicit value for the audience's own field win over the membership", async () => {
    await start()
    const withExplicit = (email: string, member: boolean, explicit: string) => {
      const event = audienceTrack(email, 'my_audience', member)
      return { ...event, properties: { ...event.properties, explicit } }
    }
    const results = await send(
      [withExplicit('jane@example.com', false, 'on'), withExplicit('john@example.com', true, 'off')],
      { profileFieldValues: { '6789': { '@path': '$.properties.explicit' } }, audienceProfileField: 'match' }
    )
    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(current.sandbox.state.contactsOf(12345)).toEqual([
      { emailAddress: 'jane@example.com', fields: { '6789': 'on' } },
      { emailAddress: 'john@example.com', fields: { '6789': 'off' } }
    ])
  })

  it("returns Listrak's refusal to create, per event, with the code", async () => {
    await start({ fieldGroupLimit: 2 })
    const results = await send(
      [audienceTrack('jane@example.com', 'brand_new', true), audienceTrack('john@example.com', 'my_audience', true)],
      {
        audienceProfileField: 'match_or_create'
      }
    )
    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: expect.stringContaining('ERROR_SEGMENTATION_FIELD_GROUP_LIMIT_MET')
    })
    expect(results[1].status).toBe(201)
  })
})

describe('match', () => {
  it('refuses events whose field does not exist, naming the list and the field, without a read per event', async () => {
    await start()
    for (let batch = 0; batch < 3; batch++) {
      const results = await send(
        Array.from({ length: 20 }, (_, i) => audienceTrack(`u${i}@example.com`, 'Unknown Audience', true)),
        { audienceProfileField: 'match' }
      )
      expect(results[0]).toMatchObject({
        status: 400,
        errormessage: expect.stringContaining('List 12345 has no check-box profile field named "Unknown Audience"')
      })
    }
    expect(gets(/\/SegmentationFieldGroup$/)).toBe(1)
    expect(posts(/SegmentationFieldGroup/)).toBe(0)
  })

  it('matches names without case, spaces, "_" and "-"', async () => {
    await start()
    const results = await send([audienceTrack('jane@example.com', 'VIP-Customers', true)], {
      audienceProfileField: 'match'
    })
    expect(results[0].status).toBe(201)
    expect(current.sandbox.state.contactsOf(12345)[0].fields).toEqual({ '6790': 'on' })
  })

  it('refuses an event without an audience key or membership', async () => {
    await start()
    const results = await send(
      [
        {
          type: 'track',
          event: 'Order Completed',
          properties: {},
          context: { traits: { email: 'a@example.com' }, personas: { computation_class: 'audience' } } as never
        }
      ],
      { audienceProfileField: 'match' }
    )
    expect(results[0]).toMatchObject({ status: 400, errormessage: expect.stringContaining('no audience key') })
  })
})

describe('ListFieldCache', () => {
  it('re-reads a list for a missing name at most once per interval', async () => {
    await start()
    const request = withUrls(
      createRequestClient({ headers: { authorization: `Bearer ${await fetchToken(current.sandbox.authUrl)}` } }),
      { auth: current.sandbox.authUrl, api: current.sandbox.apiUrl }
    )
    let now = 0
    const cache = new ListFieldCache(() => now)
    const reads = () => gets(/\/SegmentationFieldGroup$/)
    await cache.resolve(request, 'c', 12345, ['nope'], 'match')
    expect(reads()).toBe(1)
    now += MISS_REFRESH_INTERVAL_MS - 1
    await cache.resolve(request, 'c', 12345, ['nope'], 'match')
    expect(reads()).toBe(1)
    now += 2
    await cache.resolve(request, 'c', 12345, ['nope'], 'match')
    expect(reads()).toBe(2)
    // Concurrent lookups of one list share one read.
    cache.clear()
    await Promise.all([1, 2, 3].map(() => cache.resolve(request, 'c', 12345, ['my_audience'], 'match')))
    expect(reads()).toBe(3)
  })
  it('holds at most its bound of lists, the least recently used going first, and none idle past its bound', async () => {
    await start()
    const request = withUrls(
      createRequestClient({ headers: { authorization: `Bearer ${await fetchToken(current.sandbox.authUrl)}` } }),
      { auth: current.sandbox.authUrl, api: current.sandbox.apiUrl }
    )
    let now = 0
    const cache = new ListFieldCache(() => now, { maxLists: 2, maxIdleMs: 60_000 })
    const reads = () => gets(/\/List\/12345\/SegmentationFieldGroup$/)
    // One list under three credentials: three entries.
    const read = async (clientId: string) => expect((await cache.definitions(request, clientId, 12345)).ok).toBe(true)
    await read('a')
    await read('b')
    await read('a')
    expect([reads(), cache.size]).toEqual([2, 2])
    await read('c')
    expect(cache.size).toBe(2)
    await read('a')
    expect(reads()).toBe(3)
    // "b" was the least recently used when "c" came: it is read again.
    await read('b')
    expect([reads(), cache.size]).toEqual([4, 2])
    now += 60_001
    await read('b')
    expect([reads(), cache.size]).toEqual([4, 1])
  })
})
