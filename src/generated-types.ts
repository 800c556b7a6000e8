// Generated file. DO NOT MODIFY IT BY HAND.

export interface Settings {
  /**
   * Your Listrak API client ID. Find this on the setup tab of your Segment integration under Integrations > Integrations Management in https://admin.listrak.com.
   */
  client_id: string
  /**
   * Your Listrak API client secret. Find this on the setup tab of your Segment integration under Integrations > Integrations Management in https://admin.listrak.com.
   */
  client_secret: string
}
