import { createRequestClient } from '@segment/actions-core'
import { once } from 'events'
import http from 'http'
import type { AddressInfo } from 'net'
import { withUrls } from '../../src/api/client'
import { ListReads, newActionRows } from '../../runtime/commands/check/action-rows'
import type { CompiledSubscription } from '../../runtime/pipeline/subscriptions'

/**
 * `check`'s row for a contact mapping with Bulk Import on: it reads the list's imports (GET …/ListImport), as the
 * runtime's follow-up does, against a stand-in for Listrak answering each list its own way; it never starts one.
 */

const ANSWERS: Record<string, [number, unknown]> = {
  '12345': [200, { status: 200, data: [{ importFileId: 4, importFileName: 'a.csv', importDate: '2026-12-04' }] }],
  '403': [403, { status: 403, error: 'ERROR_INSUFFICIENT_PERMISSIONS', message: 'The integration cannot use it.' }],
  '404': [404, { status: 404, error: 'ERROR_UNABLE_TO_LOCATE_LIST', message: 'No list with that ID.' }],
  '500': [500, { status: 500, error: 'ERROR_UNHANDLED_EXCEPTION' }]
}

async function fakeListrak() {
  const requests: string[] = []
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    const match = /^\/List\/(\d+)\/ListImport$/.exec(request.url ?? '')
    const [status, body] = (match && ANSWERS[match[1]]) || [404, { status: 404 }]
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    requests,
    reads: new ListReads(withUrls(createRequestClient(), { auth: '', api: `http://127.0.0.1:${port}` })),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const subscription = (partnerAction: string, mapping: Record<string, unknown>): CompiledSubscription => ({
  name: 'bulk',
  subscribe: 'type = "identify"',
  partnerAction,
  mapping: { emailAddress: { '@path': '$.traits.email' }, ...mapping },
  batching: true,
  batchSize: 1000,
  matches: () => true
})

const importRows = async (reads: ListReads, partnerAction: string, listId: number, bulk: unknown) =>
  (await newActionRows(subscription(partnerAction, { listId, bulk_import: bulk }), listId, reads)).filter(
    (row) => row.field === 'List Import'
  )

describe("check's list import row", () => {
  it('says whether the credentials can read the list’s imports, and that no import is started', async () => {
    const listrak = await fakeListrak()
    try {
      expect(await importRows(listrak.reads, 'upsertContact', 12345, 'add_and_update')).toEqual([
        {
          field: 'List Import',
          status: 'ok',
          reason:
            "the credentials can read list 12345's imports (GET …/ListImport), as following them up does; starting " +
            'one (POST …/ListImport) is not tried'
        }
      ])
      const [refused] = await importRows(listrak.reads, 'unsubscribeContact', 403, true)
      expect(refused).toMatchObject({ status: 'error' })
      expect(refused.reason).toMatch(
        /^the credentials cannot read list 403's imports \(HTTP 403 ERROR_INSUFFICIENT_PERMISSIONS: .*\): Bulk Import needs Listrak's List and Contact areas to start imports, and Report to read their results; starting one \(POST …\/ListImport\) is not tried$/
      )
      const [unknown] = await importRows(listrak.reads, 'upsertContact', 404, 'update_only')
      expect(unknown).toMatchObject({
        status: 'error',
        reason: expect.stringMatching(/ERROR_UNABLE_TO_LOCATE_LIST.*list is unknown/)
      })
      const [failing] = await importRows(listrak.reads, 'upsertContact', 500, { '@path': '$.properties.bulk' })
      expect(failing).toMatchObject({ status: 'error', reason: expect.stringContaining('ERROR_UNHANDLED_EXCEPTION') })
      expect(listrak.requests.every((r) => r.startsWith('GET '))).toBe(true)
      expect(listrak.requests).toHaveLength(4)
    } finally {
      await listrak.stop()
    }
  })

  it('adds no row, and asks nothing, when the mapping does not import in bulk', async () => {
    const listrak = await fakeListrak()
    try {
      expect(await importRows(listrak.reads, 'upsertContact', 12345, 'off')).toEqual([])
      expect(await importRows(listrak.reads, 'unsubscribeContact', 12345, false)).toEqual([])
      expect(await importRows(listrak.reads, 'upsertContact', 12345, undefined)).toEqual([])
      expect(listrak.requests).toEqual([])
    } finally {
      await listrak.stop()
    }
  })
})
