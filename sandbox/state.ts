import { randomBytes, randomUUID } from 'crypto'
import { ERROR } from './contract'
import type {
  ContactSegmentationFieldValues,
  ErrorEnvelope,
  ListSummary,
  SegmentationField,
  SegmentationFieldDataType,
  SegmentationFieldGroup
} from './contract'
import { FaultInjector, FaultsUpdate } from './faults'
import type { Fixture } from './fixture'

/** A bounded record: keeps the newest `limit` items and counts what it let go. */
export class History<T> {
  private items: T[] = []
  private droppedCount = 0

  constructor(private readonly limit: number) {}

  push(item: T): void {
    this.items.push(item)
    if (this.items.length > this.limit) {
      this.items.shift()
      this.droppedCount++
    }
  }

  toJSON() {
    return {
      total: this.items.length + this.droppedCount,
      kept: this.items.length,
      dropped: this.droppedCount,
      note:
        this.droppedCount > 0
          ? `Only the newest ${this.limit} are kept; ${this.droppedCount} older ones were dropped.`
          : undefined,
      data: this.items
    }
  }

  get all(): readonly T[] {
    return this.items
  }

  clear(): void {
    this.items = []
    this.droppedCount = 0
  }
}

export interface ImportRecord {
  resourceId: string
  listId: number
  receivedAt: string
  contacts: ContactSegmentationFieldValues[]
}

export interface RequestRecord {
  at: string
  method: string
  path: string
  status: number | 'dropped'
  durationMs: number
}

const invalid = (message: string): Created => ({
  ok: false,
  error: { status: 400, error: ERROR.INVALID_PARAMETER, message }
})

export interface ListState {
  summary: ListSummary
  groups: SegmentationFieldGroup[]
  fields: Map<number, SegmentationField>
}

export interface StoredContact {
  emailAddress: string
  fields: Map<number, string>
}

export interface SandboxStateOptions {
  fixture: Fixture
  faults: FaultsUpdate
  tokenTtlSeconds: number
  historyLimit: number
  /** Profile field groups a list may have; one more is refused with ERROR_SEGMENTATION_FIELD_GROUP_LIMIT_MET. */
  fieldGroupLimit: number
}

export type Created = { ok: true; id: number } | { ok: false; error: ErrorEnvelope }

function emptyStats() {
  return {
    requests: 0,
    inFlight: 0,
    maxInFlight: 0,
    tokensIssued: 0,
    imports: 0,
    importedContacts: 0,
    largestImportContacts: 0,
    largestImportBytes: 0
  }
}

export type TokenCheck = 'ok' | 'unknown' | 'expired' | 'used-up'

/** The sandbox's in-memory Listrak account: lists and fields, contacts' values, tokens, history and faults. */
export class SandboxState {
  lists = new Map<number, ListState>()
  /** list → lower-cased email → contact */
  contacts = new Map<number, Map<string, StoredContact>>()
  readonly imports: History<ImportRecord>
  readonly requests: History<RequestRecord>
  readonly faults: FaultInjector
  private tokens = new Map<string, { expiresAt: number; uses: number }>()
  private nextGroupId = 1
  private nextFieldId = 1
  /** Counters over the sandbox's life since the last reset; not capped like the histories. */
  stats = emptyStats()

  constructor(private readonly options: SandboxStateOptions) {
    this.imports = new History(options.historyLimit)
    this.requests = new History(options.historyLimit)
    this.faults = new FaultInjector()
    this.reset()
  }

  /** Back to the start: the fixture's lists, no contacts, tokens or history, the faults given at start. */
  reset(): void {
    const createDate = new Date().toISOString()
    this.lists = new Map(
      this.options.fixture.lists.map((list): [number, ListState] => {
        const fields = new Map<number, SegmentationField>()
        const groups = list.segmentationFieldGroups.map((group, g) => {
          group.segmentationFields.forEach((field, f) =>
            fields.set(field.segmentationFieldId, {
              ...field,
              segmentationFieldGroupId: group.segmentationFieldGroupId,
              position: f + 1
            })
          )
          const { segmentationFieldGroupId, segmentationFieldGroupName } = group
          return { segmentationFieldGroupId, segmentationFieldGroupName, position: g + 1 }
        })
        return [list.listId, { summary: { listId: list.listId, listName: list.listName, createDate }, groups, fields }]
      })
    )
    const groupIds = [...this.lists.values()].flatMap((l) => l.groups.map((g) => g.segmentationFieldGroupId))
    const fieldIds = [...this.lists.values()].flatMap((l) => [...l.fields.keys()])
    this.nextGroupId = Math.max(1000, ...groupIds) + 1
    this.nextFieldId = Math.max(10000, ...fieldIds) + 1
    this.contacts = new Map()
    this.tokens.clear()
    this.imports.clear()
    this.requests.clear()
    this.faults.clear()
    this.faults.set(this.options.faults)
    this.stats = emptyStats()
  }

  checkCredentials(clientId: string, clientSecret: string): boolean {
    return this.options.fixture.credentials.some((c) => c.clientId === clientId && c.clientSecret === clientSecret)
  }

  issueToken(): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    this.stats.tokensIssued++
    const token = randomBytes(24).toString('base64url')
    this.tokens.set(token, { expiresAt: Date.now() + this.options.tokenTtlSeconds * 1000, uses: 0 })
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenTtlSeconds }
  }

  /** Counts one use of a bearer token and says whether it is still good. */
  useToken(token: string): TokenCheck {
    const entry = this.tokens.get(token)
    if (!entry) return 'unknown'
    if (Date.now() >= entry.expiresAt) return 'expired'
    const maxUses = this.faults.current.tokenMaxUses
    if (maxUses > 0 && entry.uses >= maxUses) return 'used-up'
    entry.uses++
    return 'ok'
  }

  applyImport(listId: number, contacts: ContactSegmentationFieldValues[], bytes: number): ImportRecord {
    this.stats.imports++
    this.stats.importedContacts += contacts.length
    this.stats.largestImportContacts = Math.max(this.stats.largestImportContacts, contacts.length)
    this.stats.largestImportBytes = Math.max(this.stats.largestImportBytes, bytes)
    let stored = this.contacts.get(listId)
    if (!stored) this.contacts.set(listId, (stored = new Map()))
    for (const { emailAddress, segmentationFieldValues } of contacts) {
      const key = emailAddress.toLowerCase()
      let contact = stored.get(key)
      if (!contact) stored.set(key, (contact = { emailAddress, fields: new Map() }))
      for (const { segmentationFieldId, value } of segmentationFieldValues)
        contact.fields.set(segmentationFieldId, value)
    }
    const record = { resourceId: randomUUID(), listId, receivedAt: new Date().toISOString(), contacts }
    this.imports.push(record)
    return record
  }

  /** Creates a profile field group; names are unique within a list, and a list holds a limited number. */
  createGroup(list: ListState, name: string, position: number): Created {
    if (list.groups.some((g) => g.segmentationFieldGroupName.toLowerCase() === name.toLowerCase())) {
      return invalid(
        `An invalid value was supplied for segmentationFieldGroupName: "${name}" already exists on this list.`
      )
    }
    if (list.groups.length >= this.options.fieldGroupLimit) {
      return {
        ok: false,
        error: {
          status: 400,
          error: ERROR.SEGMENTATION_FIELD_GROUP_LIMIT_MET,
          message: `The maximum number of profile field groups (${this.options.fieldGroupLimit}) already exists for the list.`
        }
      }
    }
    const id = this.nextGroupId++
    list.groups.push({ segmentationFieldGroupId: id, segmentationFieldGroupName: name, position })
    return { ok: true, id }
  }

  /** Creates a profile field in a group; names are unique within a list. */
  createField(
    list: ListState,
    groupId: number,
    field: { segmentationFieldName: string; dataType: SegmentationFieldDataType; maxLength: number; position: number }
  ): Created {
    const name = field.segmentationFieldName.toLowerCase()
    if ([...list.fields.values()].some((f) => f.segmentationFieldName.toLowerCase() === name)) {
      return invalid(
        `An invalid value was supplied for segmentationFieldName: "${field.segmentationFieldName}" already exists on this list.`
      )
    }
    const id = this.nextFieldId++
    list.fields.set(id, { segmentationFieldId: id, segmentationFieldGroupId: groupId, ...field })
    return { ok: true, id }
  }

  /** A list's contacts with their current profile field values, keyed by field ID. */
  contactsOf(listId: number): { emailAddress: string; fields: Record<string, string> }[] {
    return [...(this.contacts.get(listId)?.values() ?? [])].map(({ emailAddress, fields }) => ({
      emailAddress,
      fields: Object.fromEntries(fields)
    }))
  }
}
