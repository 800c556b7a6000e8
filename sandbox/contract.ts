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
  UNHANDLED_EXCEPTION: 'ERROR_UNHANDLED_EXCEPTION'
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
