import { randomBytes, randomUUID } from 'crypto'
import { ERROR } from './contract'
import type {
  ContactBody,
  ContactQuery,
  ContactSegmentationFieldValues,
  ErrorEnvelope,
  Event,
  ListSummary,
  SegmentationField,
  SegmentationFieldDataType,
  SegmentationFieldGroup,
  TransactionalMessage,
  TransactionalMessageActivity
} from './contract'
import { Blocked, contactDetail, ContactWrite, METHOD, newContact, StoredContact, writeContact } from './contacts'
import { FaultInjector, FaultsUpdate } from './faults'
import type { Fixture } from './fixture'
import { History } from './history'
import type { ImportFile } from './import-file'
import type { Integration } from './integrations'
import { applyImportRows, RowResult } from './list-import'
import { SmsAccount } from './sms'

export interface ImportRecord {
  resourceId: string
  listId: number
  receivedAt: string
  contacts: ContactSegmentationFieldValues[]
}

/** A list import (`POST …/ListImport`): the file as read, queued until its rows are applied, then their results. */
export interface ListImportRecord {
  importFileId: number
  listId: number
  receivedAt: string
  bytes: number
  status: 'Queued' | 'Completed'
  completedAt: string | null
  file: ImportFile
  /** One per row, in the file's order, once the import has completed. */
  results: RowResult[]
}

export interface RequestRecord {
  at: string
  method: string
  path: string
  /** `dropped`: closed without being processed; `dropped-after-processing`: processed, then closed unanswered. */
  status: number | 'dropped' | 'dropped-after-processing'
  durationMs: number
}

/** One transactional message sent, as `GET /_sandbox/messages` shows it. */
export interface TransactionalSend {
  /** 1 for the first send since the start or the last reset, then one more for each. */
  sequence: number
  listId: number
  transactionalMessageId: number
  emailAddress: string
  segmentationFieldValues: ContactSegmentationFieldValues['segmentationFieldValues']
  sentAt: string
  /** What Listrak's activity gives to send the message again. */
  resendKey: string
}

/** Which sends of a message its activity shows: to one address (in any case), sent between two times (ms). */
export interface ActivityFilter {
  emailAddress?: string
  sentFrom?: number
  sentUntil?: number
}

const invalid = (message: string): Created => ({
  ok: false,
  error: { status: 400, error: ERROR.INVALID_PARAMETER, message }
})

export interface ListState {
  summary: ListSummary
  groups: SegmentationFieldGroup[]
  fields: Map<number, SegmentationField>
  events: Map<number, Event>
  transactionalMessages: Map<number, TransactionalMessage>
  /** Lower-cased address → why it is never subscribed to the list. */
  blocked: Map<string, Blocked>
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
    /** Tokens issued to each integration type; together they make `tokensIssued`. */
    emailTokensIssued: 0,
    smsTokensIssued: 0,
    dataTokensIssued: 0,
    imports: 0,
    importedContacts: 0,
    largestImportContacts: 0,
    largestImportBytes: 0,
    listImports: 0,
    listImportRows: 0,
    largestListImportRows: 0,
    largestListImportBytes: 0,
    smsMessagesSent: 0
  }
}

const TOKENS_ISSUED_STAT = {
  Email: 'emailTokensIssued',
  SMS: 'smsTokensIssued',
  Data: 'dataTokensIssued'
} as const satisfies Record<Integration, keyof ReturnType<typeof emptyStats>>

/** Whether a token is good for a request to one API: `other-integration` when it is another API's. */
export type TokenCheck =
  { result: 'ok' | 'unknown' | 'expired' | 'used-up' } | { result: 'other-integration'; integration: Integration }

/**
 * The sandbox's in-memory Listrak account: lists with their fields, events and transactional messages, contacts,
 * the SMS account, tokens, history (imports, requests, messages sent) and faults.
 */
export class SandboxState {
  lists = new Map<number, ListState>()
  /** list → lower-cased email → contact */
  contacts = new Map<number, Map<string, StoredContact>>()
  readonly imports: History<ImportRecord>
  readonly requests: History<RequestRecord>
  readonly messages: History<TransactionalSend>
  readonly listImports: History<ListImportRecord>
  readonly faults: FaultInjector
  /** The SMS account: sender codes, lists, profile fields, contacts and texts sent. */
  sms!: SmsAccount
  private tokens = new Map<string, { expiresAt: number; uses: number; integration: Integration }>()
  private nextGroupId = 1
  private nextFieldId = 1
  private nextSendSequence = 1
  private nextImportFileId = 1
  /** List imports waiting for their rows to be applied. */
  private queuedImports = new Set<NodeJS.Timeout>()
  private importListeners = new Set<(record: ListImportRecord) => void>()
  /** Counters over the sandbox's life since the last reset; not capped like the histories. */
  stats = emptyStats()

  constructor(private readonly options: SandboxStateOptions) {
    this.imports = new History(options.historyLimit)
    this.requests = new History(options.historyLimit)
    this.messages = new History(options.historyLimit)
    this.listImports = new History(options.historyLimit)
    this.faults = new FaultInjector()
    this.reset()
  }

  /**
   * Back to the start: the fixture's lists and SMS account, no contacts (email or SMS), tokens, messages or history, the
   * faults given at start.
   */
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
        const events = new Map(list.events.map((e): [number, Event] => [e.eventId, { ...e, status: 'Active' }]))
        const messages = list.transactionalMessages.map((m): [number, TransactionalMessage] => {
          const { transactionalMessageId, transactionalMessageName, campaignId, externalCampaignId, subject } = m
          const message = { transactionalMessageId, transactionalMessageName, campaignId, externalCampaignId, subject }
          return [transactionalMessageId, message]
        })
        const summary = { listId: list.listId, listName: list.listName, createDate }
        // An address both banned and suppressed counts as banned.
        const blocked = new Map<string, Blocked>([
          ...list.suppressedEmailAddresses.map((a): [string, Blocked] => [a.toLowerCase(), 'Suppressed']),
          ...list.bannedEmailAddresses.map((a): [string, Blocked] => [a.toLowerCase(), 'Banned'])
        ])
        const transactionalMessages = new Map(messages)
        return [list.listId, { summary, groups, fields, events, transactionalMessages, blocked }]
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
    this.messages.clear()
    this.nextSendSequence = 1
    // A reset forgets the queued imports too: none writes a contact after it.
    this.stopListImports()
    this.listImports.clear()
    this.nextImportFileId = 1
    this.faults.clear()
    this.faults.set(this.options.faults)
    this.sms = new SmsAccount(this.options.fixture.sms, this.options.historyLimit)
    this.stats = emptyStats()
  }

  /** The integration type of the credentials, when the fixture has them. */
  checkCredentials(clientId: string, clientSecret: string): Integration | undefined {
    const { credentials } = this.options.fixture
    return credentials.find((c) => c.clientId === clientId && c.clientSecret === clientSecret)?.integration
  }

  issueToken(integration: Integration): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    this.stats.tokensIssued++
    this.stats[TOKENS_ISSUED_STAT[integration]]++
    const token = randomBytes(24).toString('base64url')
    const expiresAt = Date.now() + this.options.tokenTtlSeconds * 1000
    this.tokens.set(token, { expiresAt, uses: 0, integration })
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenTtlSeconds }
  }

  /**
   * Counts one use of a bearer token on `api` and says whether it is good there: a token opens its integration's API
   * only, unless the fixture says one pair of credentials serves every API (`sharedCredentials`).
   */
  useToken(token: string, api: Integration): TokenCheck {
    const entry = this.tokens.get(token)
    if (!entry) return { result: 'unknown' }
    if (Date.now() >= entry.expiresAt) return { result: 'expired' }
    if (entry.integration !== api && !this.options.fixture.sharedCredentials) {
      return { result: 'other-integration', integration: entry.integration }
    }
    const maxUses = this.faults.current.tokenMaxUses
    if (maxUses > 0 && entry.uses >= maxUses) return { result: 'used-up' }
    entry.uses++
    return { result: 'ok' }
  }

  applyImport(listId: number, contacts: ContactSegmentationFieldValues[], bytes: number): ImportRecord {
    this.stats.imports++
    this.stats.importedContacts += contacts.length
    this.stats.largestImportContacts = Math.max(this.stats.largestImportContacts, contacts.length)
    this.stats.largestImportBytes = Math.max(this.stats.largestImportBytes, bytes)
    const stored = this.contactStore(listId)
    const receivedAt = new Date().toISOString()
    for (const { emailAddress, segmentationFieldValues } of contacts) {
      const key = emailAddress.toLowerCase()
      let contact = stored.get(key)
      // An import subscribes a contact it creates; one that has unsubscribed stays so, as in Listrak's list imports.
      if (!contact) stored.set(key, (contact = newContact(emailAddress, METHOD.IMPORT, receivedAt)))
      for (const { segmentationFieldId, value } of segmentationFieldValues)
        contact.fields.set(segmentationFieldId, value)
    }
    const record = { resourceId: randomUUID(), listId, receivedAt, contacts }
    this.imports.push(record)
    return record
  }

  /**
   * `POST /v1/List/{listId}/ListImport`: keeps the import, queued, and applies its rows once `listImportDelayMs` has
   * passed (0: at the next turn of the event loop, never within the request), as Listrak runs an import after
   * answering.
   */
  startListImport(list: ListState, file: ImportFile, bytes: number): ListImportRecord {
    const { listId } = list.summary
    const record: ListImportRecord = {
      importFileId: this.nextImportFileId++,
      listId,
      receivedAt: new Date().toISOString(),
      bytes,
      status: 'Queued',
      completedAt: null,
      file,
      results: []
    }
    this.listImports.push(record)
    this.stats.listImports++
    this.stats.largestListImportRows = Math.max(this.stats.largestListImportRows, file.rows.length)
    this.stats.largestListImportBytes = Math.max(this.stats.largestListImportBytes, bytes)
    const timer = setTimeout(() => {
      this.queuedImports.delete(timer)
      const at = new Date().toISOString()
      const importList = { listId, fields: list.fields, blocked: list.blocked }
      record.results = applyImportRows(importList, this.contactStore(listId), file, at)
      record.status = 'Completed'
      record.completedAt = at
      this.stats.listImportRows += record.results.length
      for (const listener of this.importListeners) listener(record)
    }, this.faults.current.listImportDelayMs)
    this.queuedImports.add(timer)
    return record
  }

  /** Calls `listener` each time a list import has been applied; returns what stops it. */
  onListImportApplied(listener: (record: ListImportRecord) => void): () => void {
    this.importListeners.add(listener)
    return () => this.importListeners.delete(listener)
  }

  /** Drops the list imports still queued: their rows are never applied. */
  stopListImports(): void {
    for (const timer of this.queuedImports) clearTimeout(timer)
    this.queuedImports.clear()
  }

  /** A list's import, while the history keeps it. */
  listImport(listId: number, importFileId: number): ListImportRecord | undefined {
    return this.listImports.all.find((r) => r.importFileId === importFileId && r.listId === listId)
  }

  /** A list's imports, oldest first, as far as the history keeps them. */
  listImportsOf(listId: number): ListImportRecord[] {
    return this.listImports.all.filter((r) => r.listId === listId)
  }

  private contactStore(listId: number): Map<string, StoredContact> {
    let stored = this.contacts.get(listId)
    if (!stored) this.contacts.set(listId, (stored = new Map()))
    return stored
  }

  /** `POST /v1/List/{listId}/Contact`: creates or updates a contact, or says why Listrak would refuse to. */
  writeContact(list: ListState, body: ContactBody, query: ContactQuery): ContactWrite {
    const { listId } = list.summary
    const contactList = { listId, fields: list.fields, eventIds: new Set(list.events.keys()), blocked: list.blocked }
    return writeContact(contactList, this.contactStore(listId), body, query, new Date().toISOString())
  }

  /** A list's contact by email address (in any case) or by email key. */
  findContact(listId: number, identifier: string): StoredContact | undefined {
    const stored = this.contacts.get(listId)
    if (!stored) return undefined
    return stored.get(identifier.toLowerCase()) ?? [...stored.values()].find((c) => c.emailKey === identifier)
  }

  /** Records a transactional message sent to one contact; returns its sequence number. */
  recordSend(send: Omit<TransactionalSend, 'sequence' | 'sentAt' | 'resendKey'>): TransactionalSend {
    const sequence = this.nextSendSequence++
    const record = { sequence, ...send, sentAt: new Date().toISOString(), resendKey: randomUUID() }
    this.messages.push(record)
    return record
  }

  /**
   * The activity of a transactional message, oldest first: its sends that have had `activityLagMs` to show, as
   * `TransactionalMessageActivity`. The sandbox records sends, not opens or clicks: every activity flag is false. It
   * reads the history of messages sent, so a send older than the history keeps is not shown.
   */
  messageActivity(
    listId: number,
    transactionalMessageId: number,
    filter: ActivityFilter
  ): TransactionalMessageActivity[] {
    const shownBefore = Date.now() - this.faults.current.activityLagMs
    const email = filter.emailAddress?.toLowerCase()
    return this.messages.all
      .filter((send) => {
        const sentAt = Date.parse(send.sentAt)
        return (
          send.listId === listId &&
          send.transactionalMessageId === transactionalMessageId &&
          sentAt <= shownBefore &&
          (email === undefined || send.emailAddress.toLowerCase() === email) &&
          sentAt >= (filter.sentFrom ?? -Infinity) &&
          sentAt <= (filter.sentUntil ?? Infinity)
        )
      })
      .map((send) => ({
        abuse: false,
        activityDate: null,
        bounce: false,
        bounceReason: null,
        click: false,
        clickCount: 0,
        emailAddress: send.emailAddress,
        open: false,
        orderTotal: 0,
        read: false,
        sendDate: send.sentAt,
        unsubscribe: false,
        visitDate: null,
        externalContactID: this.findContact(listId, send.emailAddress)?.externalContactID ?? null,
        resendKey: send.resendKey
      }))
  }

  /**
   * The transactional messages sent, oldest first, only those to `email` (in any case) or of `transactionalMessageId`
   * when given, with how many each recipient got.
   */
  messagesSent(filter: { email?: string; transactionalMessageId?: number }) {
    const { data, ...history } = this.messages.toJSON()
    const email = filter.email?.toLowerCase()
    const sends = data.filter(
      (send) =>
        (email === undefined || send.emailAddress.toLowerCase() === email) &&
        (filter.transactionalMessageId === undefined || send.transactionalMessageId === filter.transactionalMessageId)
    )
    const perRecipient: Record<string, number> = {}
    for (const { emailAddress } of sends) {
      const key = emailAddress.toLowerCase()
      perRecipient[key] = (perRecipient[key] ?? 0) + 1
    }
    return { ...history, matched: sends.length, perRecipient, data: sends }
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

  /** A list's contacts with everything the sandbox holds of them: subscription, external ID, values, events. */
  contactDetailsOf(listId: number) {
    return [...(this.contacts.get(listId)?.values() ?? [])].map(contactDetail)
  }

  /** A list's contacts with their current profile field values, keyed by field ID. */
  contactsOf(listId: number): { emailAddress: string; fields: Record<string, string> }[] {
    return [...(this.contacts.get(listId)?.values() ?? [])].map(({ emailAddress, fields }) => ({
      emailAddress,
      fields: Object.fromEntries(fields)
    }))
  }
}
