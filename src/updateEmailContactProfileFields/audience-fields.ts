import type { RequestClient } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import {
  CHECKBOX,
  createCheckboxField,
  createFieldGroup,
  FieldGroup,
  getProfileFields,
  ProfileField
} from '../api/profile-fields'
import { apiUrl } from '../api/urls'
import type { Settings } from '../generated-types'
import type { Payload } from './generated-types'
import { applyAudienceFields, prepareEvent, PreparedEvent } from './imports'
import { normalizeFieldName } from './profile-fields'

/** How long a list's profile fields are trusted before they are read again. */
export const FIELD_CACHE_TTL_MS = 5 * 60 * 1000
/** A name not found re-reads the list at most this often, so an unknown audience is not a lookup per event. */
export const MISS_REFRESH_INTERVAL_MS = 60 * 1000
/** The profile field group that "match or create" puts new fields in. */
export const AUDIENCE_GROUP_NAME = 'Segment Audiences'

export type AudienceFieldMode = 'match' | 'match_or_create'

export type FieldResolution = { ok: true; fieldId: number } | { ok: false; failure: ListrakFailure }

interface ListFields {
  fetchedAt: number
  groups: FieldGroup[]
  fields: ProfileField[]
}

const isFailure = (fields: ListFields | ListrakFailure): fields is ListrakFailure => 'status' in fields

interface Entry {
  value?: ListFields
  pending?: Promise<ListFields | ListrakFailure>
}

/**
 * Lists' profile fields, per list and credential, shared by every batch in the process. Concurrent readers of
 * one list share one read; a field is created at most once per name.
 */
export class ProfileFieldCache {
  private entries = new Map<string, Entry>()
  private creations = new Map<string, Promise<FieldResolution>>()

  constructor(private readonly now: () => number = Date.now) {}

  clear(): void {
    this.entries.clear()
    this.creations.clear()
  }

  private key(clientId: string, listId: number): string {
    return `${apiUrl()}|${clientId}|${listId}`
  }

  /** The list's fields, read again when older than `maxAgeMs`. */
  async fields(
    request: RequestClient,
    clientId: string,
    listId: number,
    maxAgeMs = FIELD_CACHE_TTL_MS
  ): Promise<ListFields | ListrakFailure> {
    const key = this.key(clientId, listId)
    let entry = this.entries.get(key)
    if (!entry) this.entries.set(key, (entry = {}))
    if (entry.value && this.now() - entry.value.fetchedAt < maxAgeMs) return entry.value
    const current = entry
    current.pending ??= getProfileFields(request, listId)
      .then((result) => {
        if (!result.ok) return result.failure
        current.value = { fetchedAt: this.now(), ...result.data }
        return current.value
      })
      .finally(() => (current.pending = undefined))
    return current.pending
  }

  /**
   * The check-box field each audience key names on the list, compared without case, spaces, `_` and `-`. A name
   * not found re-reads the list (at most once per `MISS_REFRESH_INTERVAL_MS`); in "match or create" mode a
   * field still missing is created in the "Segment Audiences" group.
   */
  async resolve(
    request: RequestClient,
    clientId: string,
    listId: number,
    audienceKeys: string[],
    mode: AudienceFieldMode
  ): Promise<Map<string, FieldResolution>> {
    const results = new Map<string, FieldResolution>()
    let fields = await this.fields(request, clientId, listId)
    const find = (list: ListFields, name: string) =>
      list.fields.find((f) => f.dataType === CHECKBOX && normalizeFieldName(f.segmentationFieldName) === name)
    const missing = (list: ListFields) => audienceKeys.some((key) => !find(list, normalizeFieldName(key)))
    if (!isFailure(fields) && missing(fields)) {
      fields = await this.fields(request, clientId, listId, MISS_REFRESH_INTERVAL_MS)
    }
    for (const audienceKey of audienceKeys) {
      if (isFailure(fields)) {
        results.set(audienceKey, { ok: false, failure: fields })
        continue
      }
      const found = find(fields, normalizeFieldName(audienceKey))
      if (found) results.set(audienceKey, { ok: true, fieldId: found.segmentationFieldId })
      else if (mode === 'match_or_create') {
        results.set(audienceKey, await this.create(request, clientId, listId, audienceKey, fields))
      } else {
        results.set(audienceKey, {
          ok: false,
          failure: {
            status: 400,
            errortype: 'BAD_REQUEST',
            message:
              `List ${listId} has no check-box profile field named "${audienceKey}" (names are compared without case, ` +
              `spaces, "_" and "-"). Create it in Listrak, or set "Profile field from audience key" to "match or create".`
          }
        })
      }
    }
    return results
  }

  private create(
    request: RequestClient,
    clientId: string,
    listId: number,
    audienceKey: string,
    list: ListFields
  ): Promise<FieldResolution> {
    const key = `${this.key(clientId, listId)}|${normalizeFieldName(audienceKey)}`
    let creation = this.creations.get(key)
    if (!creation) {
      // Settled creations are forgotten: a created field is in the cached fields, a failed one may be tried again.
      creation = this.createField(request, listId, audienceKey, list).finally(() => this.creations.delete(key))
      this.creations.set(key, creation)
    }
    return creation
  }

  private async createField(
    request: RequestClient,
    listId: number,
    audienceKey: string,
    list: ListFields
  ): Promise<FieldResolution> {
    const groupName = normalizeFieldName(AUDIENCE_GROUP_NAME)
    let group = list.groups.find((g) => normalizeFieldName(g.segmentationFieldGroupName) === groupName)
    if (!group) {
      const createdGroup = await this.createGroup(request, listId, list)
      if (!createdGroup.ok) return createdGroup
      group = createdGroup.group
    }
    const position =
      list.fields.filter((f) => f.group.segmentationFieldGroupId === group.segmentationFieldGroupId).length + 1
    const created = await createCheckboxField(request, listId, group.segmentationFieldGroupId, audienceKey, position)
    if (!created.ok) return created
    list.fields.push({
      segmentationFieldId: created.data,
      segmentationFieldName: audienceKey,
      dataType: CHECKBOX,
      group
    })
    return { ok: true, fieldId: created.data }
  }

  private groupCreations = new Map<
    ListFields,
    Promise<{ ok: true; group: FieldGroup } | { ok: false; failure: ListrakFailure }>
  >()

  /** Creates the "Segment Audiences" group once per list, however many fields wait for it. */
  private createGroup(request: RequestClient, listId: number, list: ListFields) {
    let creation = this.groupCreations.get(list)
    if (!creation) {
      creation = createFieldGroup(request, listId, AUDIENCE_GROUP_NAME, list.groups.length + 1).then((result) => {
        this.groupCreations.delete(list)
        if (!result.ok) return result
        const group = { segmentationFieldGroupId: result.data, segmentationFieldGroupName: AUDIENCE_GROUP_NAME }
        list.groups.push(group)
        return { ok: true as const, group }
      })
      this.groupCreations.set(list, creation)
    }
    return creation
  }
}

/** The process-wide cache the action uses. */
export const profileFieldCache = new ProfileFieldCache()

/** Looks up (or creates) the audience fields a batch needs: one resolution per list, lists concurrently. */
export async function resolveAudienceFields(
  request: RequestClient,
  clientId: string,
  mode: AudienceFieldMode,
  needed: { listId: number; key: string }[]
): Promise<Map<number, Map<string, FieldResolution>>> {
  const keysByList = new Map<number, Set<string>>()
  for (const { listId, key } of needed) {
    let keys = keysByList.get(listId)
    if (!keys) keysByList.set(listId, (keys = new Set()))
    keys.add(key)
  }
  const entries = await Promise.all(
    [...keysByList].map(
      async ([listId, keys]) =>
        [listId, await profileFieldCache.resolve(request, clientId, listId, [...keys], mode)] as const
    )
  )
  return new Map(entries)
}

/** Every event of a batch prepared: validated, values resolved, audience fields looked up where the mapping asks. */
export async function prepareEvents(
  request: RequestClient,
  settings: Settings,
  payloads: Payload[],
  memberships: (boolean | undefined)[]
): Promise<PreparedEvent[]> {
  const prepared = payloads.map((payload, i) => prepareEvent(payload, memberships[i]))
  const needed = prepared.flatMap((p) => (p.ok && p.audience ? [{ listId: p.event.listId, key: p.audience.key }] : []))
  if (needed.length === 0) return prepared
  // One mapping per batch, so one mode.
  const mode = payloads[0].audienceProfileField === 'match_or_create' ? 'match_or_create' : 'match'
  return applyAudienceFields(prepared, await resolveAudienceFields(request, settings.client_id, mode, needed))
}
