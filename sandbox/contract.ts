import { z } from 'zod'

/**
 * Listrak's wire contract for the routes the sandbox serves, restated from Listrak's Email API description
 * (Swagger 2.0) and error-code registry. The sandbox enforces these shapes; it shares no code with the
 * destination, so a test of one against the other means something.
 */

export const ERROR = {
  INVALID_CREDENTIALS: 'ERROR_INVALID_CREDENTIALS',
  UNAUTHORIZED: 'ERROR_UNAUTHORIZED',
  INVALID_PARAMETER: 'ERROR_INVALID_PARAMETER',
  MALFORMED_REQUEST_BODY: 'ERROR_MALFORMED_REQUEST_BODY',
  UNABLE_TO_LOCATE_RESOURCE: 'ERROR_UNABLE_TO_LOCATE_RESOURCE',
  UNSUPPORTED_CONTENT_TYPE: 'ERROR_UNSUPPORTED_CONTENT_TYPE',
  UNSUPPORTED_METHOD: 'ERROR_UNSUPPORTED_METHOD',
  SEGMENTATION_FIELD_DEFINED_TWICE: 'ERROR_SEGMENTATION_FIELD_DEFINED_TWICE',
  UNKNOWN_ROUTE: 'ERROR_UNKNOWN_ROUTE',
  SEGMENTATION_FIELD_GROUP_LIMIT_MET: 'ERROR_SEGMENTATION_FIELD_GROUP_LIMIT_MET',
  UNHANDLED_EXCEPTION: 'ERROR_UNHANDLED_EXCEPTION',
  // The contact group of the registry: what `POST /v1/List/{listId}/Contact` refuses.
  BANNED_EMAIL_ADDRESS: 'ERROR_BANNED_EMAIL_ADDRESS',
  BANNED_NEW_EMAIL_ADDRESS: 'ERROR_BANNED_NEW_EMAIL_ADDRESS',
  CHANGE_ADDRESS_CONTACT_UNSUBSCRIBED: 'ERROR_CHANGE_ADDRESS_CONTACT_UNSUBSCRIBED',
  CHANGE_ADDRESS_WITH_EVENTS: 'ERROR_CHANGE_ADDRESS_WITH_EVENTS',
  CHANGE_ADDRESS_WITH_SEGMENTATION_DATA: 'ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA',
  NOT_SUBSCRIBED_EMAIL_ADDRESS: 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS',
  SUBSCRIBED_NEW_EMAIL_ADDRESS: 'ERROR_SUBSCRIBED_NEW_EMAIL_ADDRESS',
  SUPPRESSED_EMAIL: 'ERROR_SUPPRESSED_EMAIL',
  SUPPRESSED_NEW_EMAIL: 'ERROR_SUPPRESSED_NEW_EMAIL',
  TOO_MANY_SEGMENTATION_FIELDS: 'ERROR_TOO_MANY_SEGMENTATION_FIELDS',
  UNSUBSCRIBE_WITH_EVENTS: 'ERROR_UNSUBSCRIBE_WITH_EVENTS',
  UNSUBSCRIBE_WITH_SEGMENTATION_DATA: 'ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA',
  UNSUBSCRIBED_EMAIL_ADDRESS: 'ERROR_UNSUBSCRIBED_EMAIL_ADDRESS',
  UNSUBSCRIBED_NEW_EMAIL_ADDRESS: 'ERROR_UNSUBSCRIBED_NEW_EMAIL_ADDRESS',
  UPDATE_UNSUBSCRIBE_WITH_EVENTS: 'ERROR_UPDATE_UNSUBSCRIBE_WITH_EVENTS'
} as const

/** Codes of the sandbox's own, outside Listrak's registry: its body-size guard and its injected faults. */
export const SANDBOX_ERROR = {
  REQUEST_TOO_LARGE: 'ERROR_REQUEST_TOO_LARGE',
  INJECTED_FAULT: 'ERROR_INJECTED_FAULT'
} as const

/** `Error`: every 4xx and 5xx answer. */
export interface ErrorEnvelope {
  status: number
  error: string
  message: string
}

export const INT32_MAX = 2147483647
const int32 = z.number().int().min(-2147483648).max(INT32_MAX)

/** `ContactSegmentationFieldValue`. */
export const contactSegmentationFieldValue = z.object({
  segmentationFieldId: int32,
  value: z.string()
})

/** `ContactSegmentationFieldValues`: required `emailAddress` and `segmentationFieldValues`. */
export const contactSegmentationFieldValues = z.object({
  emailAddress: z.string(),
  segmentationFieldValues: z.array(contactSegmentationFieldValue)
})

/** The body of `POST /v1/List/{listId}/Contact/SegmentationField`: an array of one or more contacts. */
export const segmentationFieldImportBody = z.array(contactSegmentationFieldValues)

export type ContactSegmentationFieldValues = z.infer<typeof contactSegmentationFieldValues>

/** The token request: form-encoded client-credentials grant. */
export const tokenRequest = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1),
  client_secret: z.string().min(1)
})

/** The body of `POST /v1/List/{listId}/SegmentationFieldGroup` (`SegmentationFieldGroup`). */
export const segmentationFieldGroupBody = z.object({
  segmentationFieldGroupName: z.string().min(1),
  position: int32
})

/** The data types a profile field can have. */
export const SEGMENTATION_FIELD_DATA_TYPES = [
  'Text',
  'Numeric',
  'RadioButton',
  'CheckBox',
  'CommentArea',
  'Date',
  'ContentBlock'
] as const

export type SegmentationFieldDataType = (typeof SEGMENTATION_FIELD_DATA_TYPES)[number]

/** The body of `POST /v1/List/{listId}/SegmentationFieldGroup/{groupId}/SegmentationField` (`SegmentationField`). */
export const segmentationFieldBody = z.object({
  segmentationFieldName: z.string().min(1),
  dataType: z.enum(SEGMENTATION_FIELD_DATA_TYPES),
  maxLength: int32.refine((n) => n > 0, 'must be positive'),
  position: int32
})

/** `SegmentationField` as Listrak returns it. */
export interface SegmentationField {
  segmentationFieldId: number
  segmentationFieldName: string
  segmentationFieldGroupId: number
  dataType: SegmentationFieldDataType
  maxLength: number
  position: number
}

/** `SegmentationFieldGroup` as Listrak returns it. */
export interface SegmentationFieldGroup {
  segmentationFieldGroupId: number
  segmentationFieldGroupName: string
  position: number
}

/** The `List` members the sandbox models; Listrak's other members are returned with neutral values. */
export interface ListSummary {
  listId: number
  listName: string
  createDate: string
}

/** Values a check-box profile field takes in an import. */
export const CHECKBOX_VALUES = ['on', 'off']

/** `Contact.subscriptionState`: the allowed values. */
export const SUBSCRIPTION_STATES = ['Subscribed', 'Unsubscribed'] as const
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number]

/** `updateType` of `POST /v1/List/{listId}/Contact`: the allowed values; `Update` by default. */
export const UPDATE_TYPES = ['Update', 'Append', 'Overwrite'] as const
export type UpdateType = (typeof UPDATE_TYPES)[number]

/**
 * The body of `POST /v1/List/{listId}/Contact` (`Contact`): `emailAddress` and `segmentationFieldValues` required,
 * the writable members optional (a client may send them as null), the read-only ones ignored.
 */
export const contactBody = z.object({
  emailAddress: z.string(),
  subscriptionState: z.enum(SUBSCRIPTION_STATES).nullish(),
  externalContactID: z.string().nullish(),
  segmentationFieldValues: z.array(contactSegmentationFieldValue)
})

export type ContactBody = z.infer<typeof contactBody>

/** Listrak's query booleans: `true` or `false`, in any case. */
const queryBoolean = z
  .string()
  .regex(/^(true|false)$/i, 'use true or false')
  .transform((text) => text.toLowerCase() === 'true')
  .optional()

/** A comma-separated list of IDs in a query, as Listrak takes `eventIds` and `segmentationFieldIds`: distinct IDs. */
const idList = (example: string) =>
  z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined || text.trim() === '') return []
      const ids = text.split(',').map((part) => part.trim())
      if (ids.every((id) => /^[0-9]{1,10}$/.test(id) && Number(id) >= 1 && Number(id) <= INT32_MAX)) {
        return [...new Set(ids.map(Number))]
      }
      context.addIssue({ code: 'custom', message: `give IDs separated by commas, e.g. ${example}` })
      return z.NEVER
    })

/** The query of `POST /v1/List/{listId}/Contact`; whether each event exists is the list's to say. */
export const contactQuery = z.object({
  eventIds: idList('3001,3002'),
  overrideUnsubscribe: queryBoolean,
  subscribedByContact: queryBoolean,
  sendDoubleOptIn: queryBoolean,
  updateType: z
    .string()
    .optional()
    .transform((text, context): UpdateType => {
      if (text === undefined) return 'Update'
      const type = UPDATE_TYPES.find((t) => t.toLowerCase() === text.toLowerCase())
      if (type) return type
      context.addIssue({ code: 'custom', message: `use ${UPDATE_TYPES.join(', ')}` })
      return z.NEVER
    }),
  newEmailAddress: z.string().optional()
})

export type ContactQuery = z.infer<typeof contactQuery>

/** The most profile fields a contact read may ask for (`segmentationFieldIds`). */
export const MAX_SEGMENTATION_FIELD_IDS = 30

/** The query of `GET /v1/List/{listId}/Contact/{contactIdentifier}`. */
export const contactReadQuery = z.object({ segmentationFieldIds: idList('6789,6790') })

/**
 * The body of `POST /v1/List/{listId}/TransactionalMessage/{transactionalMessageId}/Message`
 * (`TransactionalMessageContact`). Listrak's definition requires only `emailAddress`, but says of
 * `segmentationFieldValues` that "an empty set must be provided if there are none": the sandbox holds a client to it.
 */
export const transactionalMessageContact = z.object({
  emailAddress: z.string(),
  segmentationFieldValues: z.array(contactSegmentationFieldValue)
})

/** `SegmentationFieldValue` as Listrak returns it on a contact. */
export interface SegmentationFieldValue {
  segmentationFieldGroupId: number
  segmentationFieldId: number
  value: string
}

/** `Contact` as Listrak returns it: members without a value are null. */
export interface ContactResource {
  emailAddress: string
  emailKey: string
  universalEmailKey: string
  subscriptionState: SubscriptionState
  subscribeDate: string | null
  resubscribeDate: string | null
  subscribeMethod: string | null
  unsubscribeDate: string | null
  unsubscribeMethod: string | null
  externalContactID: string | null
  segmentationFieldValues: SegmentationFieldValue[]
}

/** `Event` as Listrak returns it; Listrak's events may also be `Blocked`, the sandbox's are all active. */
export interface Event {
  eventId: number
  eventName: string
  eventGroupId: number
  status: 'Active'
}

/** `TransactionalMessage` as Listrak returns it. */
export interface TransactionalMessage {
  transactionalMessageId: number
  transactionalMessageName: string
  campaignId: number
  externalCampaignId: string
  subject: string
}

/** `dateType` of the activity route: which date `startDate` and `endDate` bound; `Send` by default. */
export const ACTIVITY_DATE_TYPES = ['Send', 'Activity'] as const

/** `count` of a paged read: 1000 a page by default, at most 5000. */
export const PAGE_SIZE = { default: 1000, max: 5000 }

/** A date in a query: Listrak's reads take ISO 8601 (`2026-12-04T15:00:00Z`, or a date alone). */
const queryDate = z
  .string()
  .optional()
  .transform((text, context) => {
    if (text === undefined) return undefined
    const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN
    if (Number.isFinite(at)) return at
    context.addIssue({ code: 'custom', message: 'give an ISO 8601 date, e.g. 2026-12-04T15:00:00Z' })
    return z.NEVER
  })

/**
 * `cursor` and `count` of a paged read. Listrak's cursor is opaque (`Start` for the first page); the sandbox's is the
 * index of the page's first item.
 */
export const pageQuery = z.object({
  cursor: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined || text === 'Start') return 0
      if (/^[0-9]{1,9}$/.test(text)) return Number(text)
      context.addIssue({ code: 'custom', message: 'give Start, or the cursor of nextPageCursor' })
      return z.NEVER
    }),
  count: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined) return PAGE_SIZE.default
      const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
      if (n >= 1 && n <= PAGE_SIZE.max) return n
      context.addIssue({ code: 'custom', message: `give a number from 1 to ${PAGE_SIZE.max}` })
      return z.NEVER
    })
})

export type PageQuery = z.infer<typeof pageQuery>

/** The query of `GET /v1/List/{listId}/TransactionalMessage/{transactionalMessageId}/Activity`. */
export const transactionalMessageActivityQuery = pageQuery.extend({
  activityType: z.string().optional(),
  dateType: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined) return 'Send' as const
      const type = ACTIVITY_DATE_TYPES.find((t) => t.toLowerCase() === text.toLowerCase())
      if (type) return type
      context.addIssue({ code: 'custom', message: `use ${ACTIVITY_DATE_TYPES.join(' or ')}` })
      return z.NEVER
    }),
  startDate: queryDate,
  endDate: queryDate,
  emailAddress: z.string().optional()
})

/** `TransactionalMessageActivity` as Listrak returns it: what the contact did with one message sent to them. */
export interface TransactionalMessageActivity {
  abuse: boolean
  activityDate: string | null
  bounce: boolean
  bounceReason: string | null
  click: boolean
  clickCount: number
  emailAddress: string
  open: boolean
  orderTotal: number
  read: boolean
  sendDate: string
  unsubscribe: boolean
  visitDate: string | null
  externalContactID: string | null
  resendKey: string
}

/** `importType` of `ImportFile`: the allowed values. Listrak names them without defining them. */
export const IMPORT_TYPES = [
  'AddSubscribers',
  'AddSubscribersAndSegmentationData',
  'RemoveSubscribers',
  'UpdateSubscribers'
] as const
export type ImportType = (typeof IMPORT_TYPES)[number]

/** `fileColumnType` of `ImportFileMapping`: the allowed values. */
export const FILE_COLUMN_TYPES = ['Email', 'SegmentationField', 'Event', 'ExternalContactID'] as const

/** `ImportFileMapping`: which column of the file (from 0) holds what. */
export const importFileMapping = z.object({
  fileColumn: int32.min(0),
  fileColumnType: z.enum(FILE_COLUMN_TYPES),
  segmentationFieldId: int32.nullish(),
  defaultValue: z.string().nullish()
})

export type ImportFileMapping = z.infer<typeof importFileMapping>

/**
 * The body of `POST /v1/List/{listId}/ListImport` (`ImportFile`): the six required members, the others optional (a
 * client may send them as null). `segmentationImportType` takes the names of the contact route's `updateType`.
 */
export const importFileBody = z.object({
  fileDelimiter: z.string(),
  fileMappings: z.array(importFileMapping),
  fileName: z.string().min(1),
  fileStream: z.string(),
  hasColumnNames: z.boolean().nullish(),
  importType: z.enum(IMPORT_TYPES),
  segmentationImportType: z.enum(UPDATE_TYPES),
  suppressEmailNotifications: z.boolean().nullish(),
  textQualifier: z.string().nullish(),
  triggerJourney: z.boolean().nullish(),
  includeUnsubscribed: z.boolean().nullish()
})

export type ImportFileBody = z.infer<typeof importFileBody>

/** The query of `GET /v1/List/{listId}/ListImport`: a page of the list's imports, imported between two dates. */
export const listImportCollectionQuery = pageQuery.extend({ startDate: queryDate, endDate: queryDate })

/** `ListImport` as Listrak returns it. */
export interface ListImport {
  importFileId: number
  importFileName: string
  importDate: string
}

/** `ListImportStatus` as Listrak returns it; `status` takes values Listrak does not list (the sandbox's are its own). */
export interface ListImportStatus {
  startDate: string
  endDate: string | null
  status: string
}

/** `ListImportSummary` as Listrak returns it: how many of the import's contacts came to each end. */
export interface ListImportSummary {
  alreadySubscribedCount: number
  alreadyUnsubscribedCount: number
  bannedCount: number
  invalidEmailCount: number
  previouslyUnsubscribedCount: number
  processedCount: number
  skippedCount: number
  subscribedCount: number
  suppressedCount: number
  unsubscribedCount: number
}

/** `ListImportContact` as Listrak returns it; `importResult` takes values Listrak does not list. */
export interface ListImportContact {
  emailAddress: string
  importResult: string
}
