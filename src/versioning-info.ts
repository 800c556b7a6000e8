/** LISTRAK_EMAIL_API_VERSION
 * Endpoints used: GET /email/v1/List, GET and POST /email/v1/List/{listId}/SegmentationFieldGroup and
 * …/SegmentationFieldGroup/{groupId}/SegmentationField, POST /email/v1/List/{listId}/Contact/SegmentationField,
 * POST /email/v1/List/{listId}/Contact, GET /email/v1/List/{listId}/Event,
 * GET /email/v1/List/{listId}/TransactionalMessage and POST …/TransactionalMessage/{transactionalMessageId}/Message.
 * Tokens come from POST https://auth.listrak.com/OAuth2/Token, which is not versioned.
 * API reference: https://api.listrak.com/email
 */
export const LISTRAK_EMAIL_API_VERSION = 'v1'
