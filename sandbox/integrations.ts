/**
 * Listrak's integration types. Each of Listrak's APIs asks for an integration of its own type ("Please specify
 * integration type `SMS` for your integration"), and a token is the integration's: it opens that API only.
 */
export const INTEGRATIONS = ['Email', 'SMS', 'Data'] as const
export type Integration = (typeof INTEGRATIONS)[number]

/** The base path of each integration's API, as `https://api.listrak.com` serves them. */
export const API_BASE: Record<Integration, string> = {
  Email: '/email/v1',
  SMS: '/sms/v1',
  Data: '/data/v1'
}

/** The API whose base path starts `url`, if any. */
export function apiOfPath(url: string): Integration | undefined {
  return INTEGRATIONS.find((integration) => url.startsWith(`${API_BASE[integration]}/`))
}
