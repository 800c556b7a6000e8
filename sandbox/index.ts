import type { AddressInfo } from 'net'
import { FaultsUpdate, parseFaults } from './faults'
import { DEFAULT_FIXTURE, Fixture, FixtureInput, loadFixtureFile, parseFixture } from './fixture'
import { API_BASE } from './integrations'
import { buildServer, ServerLimits } from './server'
import { SandboxState } from './state'

export interface SandboxOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number
  /** Address to bind; loopback unless said otherwise. */
  host?: string
  /** A fixture object, or the path of a JSON fixture file; the built-in fixture by default. */
  fixture?: FixtureInput | string
  /** Token lifetime in seconds (default one hour). */
  tokenTtlSeconds?: number
  faults?: FaultsUpdate
  limits?: Partial<ServerLimits>
  /** How many imports and requests the inspection routes keep (default 10,000 each). */
  historyLimit?: number
  /** Profile field groups a list may have (default 20). */
  fieldGroupLimit?: number
}

export interface Sandbox {
  url: string
  authUrl: string
  /** The Email API's base URL. */
  apiUrl: string
  /** The SMS API's base URL. */
  smsApiUrl: string
  /** The Data API's base URL: the sandbox serves none of its routes yet, but checks its tokens' type there. */
  dataApiUrl: string
  state: SandboxState
  stop(): Promise<void>
}

export const DEFAULT_LIMITS: ServerLimits = {
  bodyLimitBytes: 16 * 1024 * 1024,
  importMaxContacts: 5000,
  importMaxBytes: 4 * 1024 * 1024,
  // "HTTP request body lengths of up to 250 MB are permitted" for a list import.
  listImportMaxBytes: 250 * 1024 * 1024
}

function resolveFixture(fixture: SandboxOptions['fixture']): Fixture {
  if (fixture === undefined) return DEFAULT_FIXTURE
  return typeof fixture === 'string' ? loadFixtureFile(fixture) : parseFixture(fixture)
}

/** Starts an in-memory stand-in for Listrak's token endpoint and its Email and SMS APIs. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState({
    fixture: resolveFixture(options.fixture),
    faults: parseFaults(options.faults ?? {}),
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    historyLimit: options.historyLimit ?? 10_000,
    fieldGroupLimit: options.fieldGroupLimit ?? 20
  })
  const app = buildServer(state, { ...DEFAULT_LIMITS, ...options.limits })
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' })
  const { address, port } = app.server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  const url = `http://${host}:${port}`
  return {
    url,
    authUrl: `${url}/OAuth2/Token`,
    apiUrl: `${url}${API_BASE.Email}`,
    smsApiUrl: `${url}${API_BASE.SMS}`,
    dataApiUrl: `${url}${API_BASE.Data}`,
    state,
    stop: async () => {
      await app.close()
    }
  }
}

export type { Fixture, FixtureInput } from './fixture'
export type { Faults, FaultsUpdate } from './faults'
