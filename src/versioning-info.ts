/** LISTRAK_EMAIL_API_VERSION
 * Every action calls Listrak's Email API at this version (https://api.listrak.com/email/v1/…); each action's
 * requests name their endpoints. Tokens come from POST https://auth.listrak.com/OAuth2/Token, which is not
 * versioned.
 * API reference: https://api.listrak.com/email
 */
export const LISTRAK_EMAIL_API_VERSION = 'v1'
