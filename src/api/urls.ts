export const DEFAULT_AUTH_URL = 'https://auth.listrak.com/OAuth2/Token'
export const DEFAULT_API_URL = 'https://api.listrak.com/email/v1'

// Read on every request rather than at load time, so a runtime, the sandbox or a test can point an
// already-registered destination elsewhere by setting the environment.
export function authUrl(): string {
  return process.env.LISTRAK_AUTH_URL || DEFAULT_AUTH_URL
}

export function apiUrl(): string {
  return (process.env.LISTRAK_API_URL || DEFAULT_API_URL).replace(/\/+$/, '')
}

export function segmentationFieldImportUrl(listId: number): string {
  return `${apiUrl()}/List/${listId}/Contact/SegmentationField`
}

export const listsUrl = () => `${apiUrl()}/List`
export const fieldGroupsUrl = (listId: number) => `${apiUrl()}/List/${listId}/SegmentationFieldGroup`
export const fieldsUrl = (listId: number, groupId: number) => `${fieldGroupsUrl(listId)}/${groupId}/SegmentationField`

export const contactUrl = (listId: number) => `${apiUrl()}/List/${listId}/Contact`
export const eventsUrl = (listId: number) => `${apiUrl()}/List/${listId}/Event`
export const transactionalMessagesUrl = (listId: number) => `${apiUrl()}/List/${listId}/TransactionalMessage`
export const transactionalMessageSendUrl = (listId: number, transactionalMessageId: number) =>
  `${transactionalMessagesUrl(listId)}/${transactionalMessageId}/Message`
