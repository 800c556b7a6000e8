import { createTestIntegration } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import nock from 'nock'
import destination from '../../src'
import type { Settings } from '../../src/generated-types'
import { listFieldCache } from '../../src/profile-fields/definitions'

export const API = 'https://api.listrak.com'
export const AUTH = 'https://auth.listrak.com'
export const importPath = (listId: number) => `/email/v1/List/${listId}/Contact/SegmentationField`

export const CLIENT_SECRET = 'sk-live-5ecret-value-do-not-log'
export const ACCESS_TOKEN = 'at-0123456789abcdef'
export const settings: Settings = { client_id: 'client-42', client_secret: CLIENT_SECRET }
export const auth = { accessToken: ACCESS_TOKEN, refreshToken: '' }

/** The manual's single mapping: one field set from the audience membership. */
export const singleMapping = { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }

export function newIntegration() {
  return createTestIntegration(destination)
}

/** Runs a batch through actions-core's real mapping, validation and performBatch; returns one result per event. */
export async function runBatch(
  events: Partial<SegmentEvent>[],
  mapping: Record<string, unknown> = singleMapping,
  logger?: { warn: (message: string) => void },
  { definition = destination } = {}
) {
  const integration = createTestIntegration(definition)
  await integration.testBatchAction('updateEmailContactProfileFields', {
    events: events as SegmentEvent[],
    mapping: mapping as never,
    settings,
    auth,
    useDefaultMappings: true,
    ...(logger ? { logger: logger as never } : {})
  })
  const [result] = integration.results as { multistatus: Record<string, unknown>[] }[]
  return result.multistatus
}

/** Runs one event through `perform`. */
export function runSingle(event: Partial<SegmentEvent>, mapping: Record<string, unknown> = singleMapping) {
  return newIntegration().testAction('updateEmailContactProfileFields', {
    event,
    mapping: { ...mapping, enable_batching: false } as never,
    settings,
    auth,
    useDefaultMappings: true
  })
}

/** Records the JSON bodies posted to each list's import endpoint and answers 201. */
export function acceptImports(listIds: number[]) {
  const bodies = new Map<number, unknown[]>()
  for (const listId of listIds) {
    nock(API)
      .post(importPath(listId), (body) => {
        bodies.set(listId, [...(bodies.get(listId) ?? []), body])
        return true
      })
      .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
      .matchHeader('content-type', 'application/json')
      .times(10)
      .reply(201, { status: 201, resourceId: `import-${listId}` })
  }
  return bodies
}

/** A profile field as Listrak lists it: ID, name, data type and maximum length. */
export type FieldSpec = [id: number, name: string, dataType: string, maxLength: number]

/** Answers the reads of a list's profile field definitions (one group holding `fields`). */
export function serveProfileFields(listId: number, fields: FieldSpec[]) {
  return nock(API)
    .get(`/email/v1/List/${listId}/SegmentationFieldGroup`)
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
    .get(`/email/v1/List/${listId}/SegmentationFieldGroup/1/SegmentationField`)
    .reply(200, {
      status: 200,
      data: fields.map(([segmentationFieldId, segmentationFieldName, dataType, maxLength]) => ({
        segmentationFieldId,
        segmentationFieldName,
        dataType,
        maxLength
      }))
    })
}

/**
 * No request leaves the process, and every interceptor a test sets is gone after it. Without interceptors for
 * them, the reads of field definitions fail, so values go unchecked unless a test serves them; the cache of
 * field definitions starts empty in every test.
 */
export function isolateNetwork() {
  beforeEach(() => listFieldCache.clear())
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  afterAll(() => {
    nock.enableNetConnect()
    // Unhooks nock from http before jest tears the test file's globals down.
    nock.restore()
  })
}
