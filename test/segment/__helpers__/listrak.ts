import { createTestEvent, defaultValues } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import nock from 'nock'
import Destination from '../../../src'
import type { Settings } from '../../../src/generated-types'

export const API = 'https://api.listrak.com'
export const AUTH = 'https://auth.listrak.com'
export const ACCESS_TOKEN = 'test-access-token'
export const CLIENT_SECRET = 'test-client-secret-never-logged'
export const auth = { accessToken: ACCESS_TOKEN, refreshToken: '' }

export const importPath = (listId: number) => `/email/v1/List/${listId}/Contact/SegmentationField`

let clients = 0

/**
 * Settings with a client ID no other test uses: the destination keeps each list's profile fields per client
 * and list, so every test starts without them.
 */
export function newSettings(): Settings {
  clients += 1
  return { client_id: `test-client-${clients}`, client_secret: CLIENT_SECRET }
}

/** A mapping as Segment saves it: the action's defaults, then the given fields. */
export function mappingWith(fields: JSONObject): JSONObject {
  return { ...(defaultValues(Destination.actions.updateEmailContactProfileFields.fields) as JSONObject), ...fields }
}

/** A track event for a contact, as Engage sends it for an audience, with `overrides` on top. */
export function audienceEvent(email: string, audienceKey: string, overrides: Partial<SegmentEvent> = {}): SegmentEvent {
  return createTestEvent({
    event: 'Audience Entered',
    properties: { audience_key: audienceKey, [audienceKey]: true },
    context: {
      traits: { email },
      personas: { computation_key: audienceKey, computation_class: 'audience' }
    },
    ...overrides
  })
}

/** A profile field as Listrak lists it: ID, data type and maximum length. */
export type Field = [fieldId: number, dataType: string, maxLength: number]

/** Answers the reads of a list's profile fields: one group holding the given fields. */
export function serveFields(listId: number, fields: Field[]) {
  return nock(API)
    .get(`/email/v1/List/${listId}/SegmentationFieldGroup`)
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
    .get(`/email/v1/List/${listId}/SegmentationFieldGroup/1/SegmentationField`)
    .reply(200, {
      status: 200,
      data: fields.map(([id, dataType, maxLength]) => ({
        segmentationFieldId: id,
        segmentationFieldName: `field_${id}`,
        dataType,
        maxLength
      }))
    })
}

/** Answers the reads of a list's profile fields: check boxes with the given IDs. */
export function serveCheckBoxes(listId: number, fieldIds: number[]) {
  return serveFields(
    listId,
    fieldIds.map((id) => [id, 'CheckBox', 3])
  )
}

/** A contact as Listrak's import receives it. */
export function contact(emailAddress: string, ...values: [fieldId: number, value: string][]) {
  return {
    emailAddress,
    segmentationFieldValues: values.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
  }
}

/** No request leaves the test file: a call without an interceptor fails instead of reaching Listrak. */
export function isolateNetwork() {
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  afterAll(() => {
    nock.enableNetConnect()
    nock.restore()
  })
}
