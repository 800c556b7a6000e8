import { createHash, timingSafeEqual } from 'crypto'
import { isIPv4 } from 'net'

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/**
 * A test of candidates against the write key in constant time. Both sides are hashed first: timingSafeEqual
 * needs equal lengths, and comparing digests tells an attacker neither the key's length nor a matching prefix.
 */
export function writeKeyMatcher(writeKey: string): (candidate: unknown) => boolean {
  const expected = digest(writeKey)
  return (candidate) => typeof candidate === 'string' && timingSafeEqual(digest(candidate), expected)
}

/** The user name of an `Authorization: Basic` header, where Segment's libraries send the write key. */
export function basicUserName(authorization: string): string | undefined {
  const credentials = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization)?.[1]
  if (!credentials) return undefined
  const decoded = Buffer.from(credentials, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? decoded : decoded.slice(0, colon)
}

/** Whether only this machine can reach an address bound to `host`. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name
  return isIPv4(v4) && v4.startsWith('127.')
}

export interface Exposure {
  host: string
  writeKey?: string
  allowUnauthenticated?: boolean
}

/** Whether anyone but this machine could use the runtime without a write key. */
export const servesOthersWithoutKey = (ingest: Exposure) => !ingest.writeKey && !isLoopbackHost(ingest.host)

/**
 * Why the runtime refuses to serve `ingest` as configured, if it does: on an address others can reach, without a
 * write key, anyone there could send events, read /stats and make the developer routes call Listrak.
 */
export function exposureProblem(ingest: Exposure): string | undefined {
  if (!servesOthersWithoutKey(ingest) || ingest.allowUnauthenticated) return undefined
  return (
    `Refusing to serve on ${ingest.host} without a write key: anyone who can reach it could send events, ` +
    'read /stats and use the developer routes. Set ingest.writeKey in the config (clients send it as the HTTP ' +
    'Basic user name), or serve on 127.0.0.1 (--host 127.0.0.1), or, when something in front of the runtime ' +
    'already authenticates its clients, pass --allow-unauthenticated (or set ingest.allowUnauthenticated).'
  )
}

/** The banner's warning when the runtime serves others without a write key, because it was told to. */
export function exposureWarning(ingest: Exposure): string | undefined {
  if (!servesOthersWithoutKey(ingest)) return undefined
  return (
    `Warning: serving on ${ingest.host} without a write key (allowUnauthenticated): anyone who can reach it ` +
    'can send events, read /stats and use the developer routes.'
  )
}
