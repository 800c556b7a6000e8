import { z } from 'zod'
import { ERROR, INT32_MAX, pageQuery } from './contract'

/**
 * Listrak's wire contract for the SMS routes the sandbox serves, restated from Listrak's SMS API description
 * (Swagger 2.0) and its error-code registry. Like `contract.ts` for the Email API, it shares no code with the
 * destination.
 */

/**
 * The codes the SMS routes answer: the general ones both APIs share, and the SMS API's own. The registry gives them
 * no HTTP status; the SMS operations declare only 400, 401 and 404, so the business codes are answered with 400.
 */
export const SMS_ERROR = {
  UNAUTHORIZED: ERROR.UNAUTHORIZED,
  INVALID_PARAMETER: ERROR.INVALID_PARAMETER,
  MALFORMED_REQUEST_BODY: ERROR.MALFORMED_REQUEST_BODY,
  UNABLE_TO_LOCATE_RESOURCE: ERROR.UNABLE_TO_LOCATE_RESOURCE,
  UNSUPPORTED_CONTENT_TYPE: ERROR.UNSUPPORTED_CONTENT_TYPE,
  UNKNOWN_ROUTE: ERROR.UNKNOWN_ROUTE,
  INVALID_LIST_ID: 'ERROR_INVALID_LIST_ID',
  INVALID_PHONE_NUMBER: 'ERROR_INVALID_PHONE_NUMBER',
  LIST_INACTIVE: 'ERROR_LIST_INACTIVE',
  BANNED_PHONE_NUMBER: 'ERROR_BANNED_PHONE_NUMBER',
  BIRTHDAY_FIELD_NULL: 'ERROR_BIRTHDAY_FIELD_NULL',
  INVALID_EMAIL_ADDRESS: 'ERROR_INVALID_EMAIL_ADDRESS',
  INVALID_SEGMENTATION_FIELD_ID: 'ERROR_INVALID_SEGMENTATION_FIELD_ID',
  PENDING_PHONE_NUMBER: 'ERROR_PENDING_PHONE_NUMBER',
  PHONE_NUMBER_FOUND: 'ERROR_PHONE_NUMBER_FOUND',
  PHONE_NUMBER_NOT_FOUND: 'ERROR_PHONE_NUMBER_NOT_FOUND',
  PHONE_NUMBER_NOT_SUBSCRIBED: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED',
  PHONE_NUMBER_SUSPENDED: 'ERROR_PHONE_NUMBER_SUSPENDED',
  SEGMENTATION_FIELD_DISABLED: 'ERROR_SEGMENTATION_FIELD_DISABLED',
  SEGMENTATION_MAX_LENGTH: 'ERROR_SEGMENTATION_MAX_LENGTH',
  SUBSCRIBED_PHONE_NUMBER: 'ERROR_SUBSCRIBED_PHONE_NUMBER',
  TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE: 'ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE',
  TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE: 'ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE',
  TRANSACTIONAL_MESSAGE_NOT_FOUND: 'ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND'
} as const

const int32 = z.number().int().min(-2147483648).max(INT32_MAX)

/** `SMSPhoneContactAttribute`: one profile field value of a contact. */
export const smsPhoneContactAttribute = z.object({
  segmentationFieldId: int32,
  value: z.string()
})

/**
 * `SMSContact`, the body of the create and update routes. Listrak marks no member required; a client may send any as
 * null, which the update route reads as "keep the value".
 */
export const smsContactBody = z.object({
  phoneNumber: z.string().nullish(),
  emailAddress: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  birthday: z.string().nullish(),
  postalCode: z.string().nullish(),
  optedOut: z.boolean().nullish(),
  segmentationFieldValues: z.array(smsPhoneContactAttribute).nullish()
})

export type SmsContactBody = z.infer<typeof smsContactBody>

/** `TransactionalMessageContact` of the SMS API: the phone and the text, nothing to merge. No member is required. */
export const smsTransactionalMessageContact = z.object({
  phoneNumber: z.string().nullish(),
  messageContent: z.string().nullish()
})

/** `PhoneAttribute.dataType`: the allowed values. */
export const PHONE_ATTRIBUTE_DATA_TYPES = ['Text', 'Number', 'Checkbox', 'Date'] as const
export type PhoneAttributeDataType = (typeof PHONE_ATTRIBUTE_DATA_TYPES)[number]

/** `PhoneList.status`, in the sandbox's words: Listrak's query takes `active` and `inactive`. */
export const PHONE_LIST_STATUSES = ['Active', 'Inactive'] as const
export type PhoneListStatus = (typeof PHONE_LIST_STATUSES)[number]

/** The query of `GET /v1/ShortCode/{senderCodeId}/PhoneList`: the lists of one status (any case), a page of them. */
export const phoneListQuery = pageQuery.extend({
  status: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined) return undefined
      const status = PHONE_LIST_STATUSES.find((s) => s.toLowerCase() === text.toLowerCase())
      if (status) return status
      context.addIssue({ code: 'custom', message: 'use active or inactive' })
      return z.NEVER
    })
})

/** `SenderCode` as Listrak returns it: the members the sandbox models, and Listrak's others with neutral values. */
export interface SenderCode {
  shortCodeId: number
  code: string
  country: string
  merchantName: string
  emailListId: number
  emailListName: string | null
  externalEventId: number
  externalEventName: string | null
  phoneNumberSegmentationFieldGroupId: number
  phoneNumberSegmentationFieldGroupName: string | null
  phoneNumberSegmentationFieldId: number
  phoneNumberSegmentationFieldName: string | null
  acquisitionSourceSegmentationFieldGroupId: number
  acquisitionSourceSegmentationFieldGroupName: string | null
  acquisitionSourceSegmentationFieldId: number
  acquisitionSourceSegmentationFieldName: string | null
}

/** `PhoneList` as Listrak returns it; `messageLimit` and `messageLimitTimeFrame` are deprecated, and neutral. */
export interface PhoneList {
  phoneListId: number
  phoneListName: string
  createDate: string
  status: PhoneListStatus
  smsListType: string
  messageLimit: number
  messageLimitTimeFrame: string | null
  requireDoubleOptIn: boolean
  requireAgeGate: boolean
}

/** `PhoneAttribute` as Listrak returns it: one of the company's SMS profile fields. */
export interface PhoneAttribute {
  segmentationFieldId: number
  segmentationFieldName: string
  dataType: PhoneAttributeDataType
  maxLength: number | null
  statusFlag: string
}

/** `TransactionalMessage` of the SMS API as Listrak returns it. */
export interface SmsTransactionalMessage {
  transactionalMessageId: number
  transactionalMessageName: string
  transactionalMessageStatus: string
}

/** `ContactListSubscription.subscriptionState`, in the sandbox's words: Listrak does not list the values. */
export type SmsSubscriptionState = 'Subscribed' | 'Unsubscribed' | 'Pending'

/** `ContactListSubscription` as Listrak returns it: a contact's state on one list. */
export interface ContactListSubscription {
  phoneListId: number
  subscriptionState: SmsSubscriptionState
  subscribeDate: string | null
  unsubscribeDate: string | null
  pendingDate: string | null
  pendingDoubleOptIn: boolean
  pendingAgeGate: boolean
}

/** `SMSContactSubscriptionDetails` as Listrak returns it: the contact on a sender code, without its lists. */
export interface SmsContactSubscriptionDetails {
  subscribeDate: string | null
  unsubscribeDate: string | null
  phoneNumber: string
  emailAddress: string | null
  firstName: string | null
  lastName: string | null
  birthday: string | null
  postalCode: string | null
  optedOut: boolean
  segmentationFieldValues: z.infer<typeof smsPhoneContactAttribute>[]
}
