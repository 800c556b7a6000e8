import { Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import { once } from 'events'
import http from 'http'
import type { AddressInfo } from 'net'
import destination from '../../src'
import { MAX_CONCURRENT_IMPORTS } from '../../src/updateEmailContactProfileFields/send'
import { audienceTrack } from '../engage-events'

/**
 * Real HTTP over loopback: a minimal stand-in for Listrak's token and import endpoints, so the destination's
 * requests go through actions-core's real fetch stack and sockets.
 */
function fakeListrak(options: { holdMs?: number; validToken?: string } = {}) {
  const state = {
    inFlight: 0,
    maxInFlight: 0,
    tokens: 0,
    unauthorized: 0,
    imports: [] as { listId: number; contacts: unknown[] }[]
  }
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString()
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(json))
    }
    if (req.url === '/OAuth2/Token') {
      state.tokens++
      return send(200, { access_token: options.validToken ?? 'fresh', token_type: 'Bearer', expires_in: 3600 })
    }
    const match = /^\/email\/v1\/List\/(\d+)\/Contact\/SegmentationField$/.exec(req.url ?? '')
    if (!match) return send(404, { status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message: 'No route.' })
    if (req.headers.authorization !== `Bearer ${options.validToken ?? 'fresh'}`) {
      state.unauthorized++
      return send(401, {
        status: 401,
        error: 'ERROR_UNAUTHORIZED',
        message: 'Authorization was denied for this request.'
      })
    }
    state.inFlight++
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
    await new Promise((resolve) => setTimeout(resolve, options.holdMs ?? 0))
    state.inFlight--
    state.imports.push({ listId: Number(match[1]), contacts: JSON.parse(body) })
    send(201, { status: 201, resourceId: `import-${state.imports.length}` })
  })
  return { server, state }
}

async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const mapping = {
  listId: { '@path': '$.properties.list' },
  emailAddress: { '@path': '$.context.traits.email' },
  profileFieldValues: { '6789': 'useAudienceKey' },
  traits_or_props: { '@path': '$.properties' },
  segment_audience_key: { '@path': '$.context.personas.computation_key' },
  event_name: { '@path': '$.event' },
  enable_batching: true
}

const settingsFor = (accessToken: string) => ({
  client_id: 'client-42',
  client_secret: 'secret-42',
  oauth: { access_token: accessToken },
  subscription: { subscribe: 'type = "track"', partnerAction: 'updateEmailContactProfileFields', mapping }
})

const eventsOverLists = (lists: number, perList: number) =>
  Array.from({ length: lists * perList }, (_, i) => {
    const event = audienceTrack(`user${i}@example.com`, 'my_audience', i % 2 === 0)
    return { ...event, properties: { ...event.properties, list: 1000 + (i % lists) } } as SegmentEvent
  })

describe('the destination over real HTTP on loopback', () => {
  let server: http.Server
  afterEach(async () => {
    delete process.env.LISTRAK_AUTH_URL
    delete process.env.LISTRAK_API_URL
    server?.close()
    if (server?.listening) await once(server, 'close')
  })

  const start = async (options: Parameters<typeof fakeListrak>[0]) => {
    const fake = fakeListrak(options)
    server = fake.server
    const url = await listen(server)
    process.env.LISTRAK_AUTH_URL = `${url}/OAuth2/Token`
    process.env.LISTRAK_API_URL = `${url}/email/v1`
    return fake.state
  }

  it(`imports lists concurrently, never more than ${MAX_CONCURRENT_IMPORTS} at a time`, async () => {
    const state = await start({ holdMs: 40 })
    const [result] = (await new Destination(destination).onBatch(eventsOverLists(10, 3), settingsFor('fresh'))) as {
      multistatus: { status: number }[]
    }[]
    expect(result.multistatus).toHaveLength(30)
    expect(result.multistatus.every((r) => r.status === 201)).toBe(true)
    expect(state.imports.map((i) => i.listId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => 1000 + i))
    expect(state.maxInFlight).toBe(MAX_CONCURRENT_IMPORTS)
  })

  it('answers 401 for a stale token, so that actions-core fetches one new token and retries', async () => {
    const state = await start({})
    const [result] = (await new Destination(destination).onBatch(eventsOverLists(1, 2), settingsFor('stale'))) as {
      multistatus: { status: number }[]
    }[]
    expect(state.unauthorized).toBe(1)
    expect(state.tokens).toBe(1)
    expect(result.multistatus.map((r) => r.status)).toEqual([201, 201])
    expect(state.imports).toHaveLength(1)
  })

  it('reports a refused connection as retryable for every event', async () => {
    await start({})
    server.close()
    await once(server, 'close')
    const [result] = (await new Destination(destination).onBatch(eventsOverLists(2, 2), settingsFor('fresh'))) as {
      multistatus: { status: number; errortype: string; errormessage: string }[]
    }[]
    expect(result.multistatus).toHaveLength(4)
    for (const r of result.multistatus) {
      expect(r).toMatchObject({ status: 500, errortype: 'RETRYABLE_ERROR' })
      expect(r.errormessage).toContain('ECONNREFUSED')
    }
  })
})
