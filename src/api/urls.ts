import { LISTRAK_EMAIL_API_VERSION } from '../versioning-info'

/** Where the destination's requests go: the token endpoint and the Email API's root. */
export interface ListrakUrls {
  auth: string
  api: string
}

/** Listrak's own: the only URLs the destination registered by Segment sends to. */
export const LISTRAK_URLS: ListrakUrls = {
  auth: 'https://auth.listrak.com/OAuth2/Token',
  api: `https://api.listrak.com/email/${LISTRAK_EMAIL_API_VERSION}`
}

export const segmentationFieldImportUrl = (urls: ListrakUrls, listId: number) =>
  `${urls.api}/List/${listId}/Contact/SegmentationField`

export const listsUrl = (urls: ListrakUrls) => `${urls.api}/List`
export const fieldGroupsUrl = (urls: ListrakUrls, listId: number) => `${urls.api}/List/${listId}/SegmentationFieldGroup`
export const fieldsUrl = (urls: ListrakUrls, listId: number, groupId: number) =>
  `${fieldGroupsUrl(urls, listId)}/${groupId}/SegmentationField`
