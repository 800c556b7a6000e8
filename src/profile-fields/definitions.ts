import type { ListrakRequest } from '../api/client'
import type { Logger } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import {
  CHECKBOX,
  createCheckboxField,
  createFieldGroup,
  FieldGroup,
  getProfileFields,
  ProfileField
} from '../api/profile-fields'
import { normalizeFieldName } from './rules'

/** How long a list's profile fields are trusted before they are read again. */
export const FIELD_CACHE_TTL_MS = 5 * 60 * 1000
/**
 * A name not found re-reads the list at most this often, so an unknown audience is not a lookup per event; a
 * list whose fields could not be read is not asked again for the value checks within this time either.
 */
export const MISS_REFRESH_INTERVAL_MS = 60 * 1000
/**
 * Bounds on the lists the cache holds, since one process serves every customer and list it is given: at most this
 * many (the least recently used goes first) ...
 */
export const MAX_CACHED_LISTS = 1000
/** ... and none unused for longer than this: a list no event names any more is forgotten. */
export const MAX_IDLE_MS = 60 * 60 * 1000
/** The profile field group that "match or create" puts new fields in. */
export const AUDIENCE_GROUP_NAME = 'Segment Audiences'

export type AudienceFieldMode = 'match' | 'match_or_create'

export type FieldResolution = { ok: true; fieldId: number } | { ok: false; failure: ListrakFailure }

export interface ListFields {
  fetchedAt: number
  groups: FieldGroup[]
  /** By profile field ID. */
  fields: Map<number, ProfileField>
}

/** The definitions the value checks use; without them, the failure of the first read that failed in a row. */
export type Definitions = { ok: true; fields: Map<number, ProfileField> } | { ok: false; newFailure?: ListrakFailure }

const isFailure = (fields: ListFields | ListrakFailure): fields is ListrakFailure => 'status' in fields

interface Entry {
  usedAt: number
  value?: ListFields
  pending?: Promise<ListFields | ListrakFailure>
  /** When the last read failed, until a read succeeds. */
  failedAt?: number
  /** Whether the value checks have reported this stretch of failures. */
  failureReported?: boolean
}

/**
 * Lists' profile fields, per list and credential, shared by every batch in the process and by both of their
 * uses: the audience fields and the value checks. Concurrent readers of one list share one read; a field is
 * created at most once per name. It holds at most `MAX_CACHED_LISTS` lists, none idle for over `MAX_IDLE_MS`; a
 * list forgotten is read again when next needed, and a read that fails never holds up delivery.
 */
export class ListFieldCache {
  private entries = new Map<string, Entry>()
  private creations = new Map<string, Promise<FieldResolution>>()

  // Date.now is looked up at each call rather than held, so that a clock set on Date (as tests do) reaches the
  // process-wide cache too.
  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly limits = { maxLists: MAX_CACHED_LISTS, maxIdleMs: MAX_IDLE_MS }
  ) {}

  /** How many lists it holds. */
  get size(): number {
    return this.entries.size
  }

  clear(): void {
    this.entries.clear()
    this.creations.clear()
  }

  /** Per API root too: the same credentials and list ID on another Listrak (a sandbox) are another list. */
  private key(request: ListrakRequest, clientId: string, listId: number): string {
    return `${request.urls.api}|${clientId}|${listId}`
  }

  /** The list's entry, made the most recently used; the idle and the least recently used beyond the bound go. */
  private entry(request: ListrakRequest, clientId: string, listId: number): Entry {
    const key = this.key(request, clientId, listId)
    const now = this.now()
    const entry = this.entries.get(key) ?? { usedAt: now }
    // A Map keeps insertion order: re-inserting keeps the entries ordered from least to most recently used.
    this.entries.delete(key)
    entry.usedAt = now
    this.entries.set(key, entry)
    for (const [oldest, { usedAt }] of this.entries) {
      if (this.entries.size <= this.limits.maxLists && now - usedAt <= this.limits.maxIdleMs) break
      this.entries.delete(oldest)
    }
    return entry
  }

  /** The list's fields, read again when older than `maxAgeMs`. */
  async fields(
    request: ListrakRequest,
    clientId: string,
    listId: number,
    maxAgeMs = FIELD_CACHE_TTL_MS
  ): Promise<ListFields | ListrakFailure> {
    const entry = this.entry(request, clientId, listId)
    if (entry.value && this.now() - entry.value.fetchedAt < maxAgeMs) return entry.value
    entry.pending ??= getProfileFields(request, listId)
      .then((result) => {
        if (!result.ok) {
          // An expired token is not the list's failure: the import that follows refreshes it.
          if (result.failure.status !== 401) entry.failedAt = this.now()
          return result.failure
        }
        const fields = new Map(result.data.fields.map((f) => [f.segmentationFieldId, f]))
        entry.value = { fetchedAt: this.now(), groups: result.data.groups, fields }
        entry.failedAt = undefined
        entry.failureReported = false
        return entry.value
      })
      .finally(() => (entry.pending = undefined))
    return entry.pending
  }

  /**
   * The list's field definitions for the value checks. After a failed read the list is not asked again for
   * `MISS_REFRESH_INTERVAL_MS`, rather than every batch waiting on a read that keeps failing.
   */
  async definitions(request: ListrakRequest, clientId: string, listId: number): Promise<Definitions> {
    const entry = this.entry(request, clientId, listId)
    const failedRecently = entry.failedAt !== undefined && this.now() - entry.failedAt < MISS_REFRESH_INTERVAL_MS
    const result = failedRecently ? undefined : await this.fields(request, clientId, listId)
    if (result && !isFailure(result)) return { ok: true, fields: result.fields }
    // A list read before keeps its last known fields: they are still the best check there is.
    if (entry.value) return { ok: true, fields: entry.value.fields }
    if (!result || result.status === 401 || entry.failureReported) return { ok: false }
    entry.failureReported = true
    return { ok: false, newFailure: result }
  }

  /**
   * The check-box field each audience key names on the list, compared without case, spaces, `_` and `-`. A name
   * not found re-reads the list (at most once per `MISS_REFRESH_INTERVAL_MS`); in "match or create" mode a
   * field still missing is created in the "Segment Audiences" group.
   */
  async resolve(
    request: ListrakRequest,
    clientId: string,
    listId: number,
    audienceKeys: string[],
    mode: AudienceFieldMode
  ): Promise<Map<string, FieldResolution>> {
    const results = new Map<string, FieldResolution>()
    let fields = await this.fields(request, clientId, listId)
    const find = (list: ListFields, name: string) =>
      [...list.fields.values()].find(
        (f) => f.dataType === CHECKBOX && normalizeFieldName(f.segmentationFieldName) === name
      )
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
    request: ListrakRequest,
    clientId: string,
    listId: number,
    audienceKey: string,
    list: ListFields
  ): Promise<FieldResolution> {
    const key = `${this.key(request, clientId, listId)}|${normalizeFieldName(audienceKey)}`
    let creation = this.creations.get(key)
    if (!creation) {
      // Settled creations are forgotten: a created field is in the cached fields, a failed one may be tried again.
      creation = this.createField(request, listId, audienceKey, list).finally(() => this.creations.delete(key))
      this.creations.set(key, creation)
    }
    return creation
  }

  private async createField(
    request: ListrakRequest,
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
    const groupId = group.segmentationFieldGroupId
    const position = [...list.fields.values()].filter((f) => f.group.segmentationFieldGroupId === groupId).length + 1
    const created = await createCheckboxField(request, listId, groupId, audienceKey, position)
    if (!created.ok) return created
    list.fields.set(created.data, {
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
  private createGroup(request: ListrakRequest, listId: number, list: ListFields) {
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
export const listFieldCache = new ListFieldCache()

/**
 * Each list's field definitions for the value checks, or undefined where they could not be read. A list's failure
 * is said once in the runtime's log (actions-core's `logger`), with `consequence`: what an unchecked value risks.
 */
export async function readDefinitions(
  request: ListrakRequest,
  clientId: string,
  listIds: number[],
  logger: Logger | undefined,
  consequence: string
): Promise<Map<number, Map<number, ProfileField> | undefined>> {
  const entries = await Promise.all(
    listIds.map(async (listId) => {
      const definitions = await listFieldCache.definitions(request, clientId, listId)
      if (definitions.ok) return [listId, definitions.fields] as const
      // Runtimes pass loggers of their own making, not all with every level.
      if (definitions.newFailure && typeof logger?.warn === 'function') {
        logger.warn(
          `${definitions.newFailure.message} Values for list ${listId} are sent without the check against their ` +
            `field types until its profile fields can be read; ${consequence}.`
        )
      }
      return [listId, undefined] as const
    })
  )
  return new Map(entries)
}
