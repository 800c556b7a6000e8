import type { Readable } from 'stream'
import { finished, Transform } from 'stream'
import { createGunzip, createInflate, Gunzip, Inflate } from 'zlib'

/** An error that fastify answers with its status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string
  ) {
    super(message)
  }
}

// Segment's server libraries gzip their batches; deflate is the other encoding HTTP clients commonly send.
const DECODERS = new Map<string, { name: string; create: () => Gunzip | Inflate }>([
  ['gzip', { name: 'gzip', create: createGunzip }],
  ['x-gzip', { name: 'gzip', create: createGunzip }],
  ['deflate', { name: 'deflate', create: createInflate }]
])

/** A decoded body, with what fastify needs to compare the bytes that arrived with Content-Length. */
type DecodedBody = Transform & { receivedEncodedLength: number }

/**
 * The request body decoded as its Content-Encoding says, or `payload` itself when it is not encoded.
 * `limit` applies to the decoded bytes: inflating stops as soon as it is passed, so a small body that would
 * inflate to gigabytes (a decompression bomb) costs at most `limit` bytes of work and memory before its 413.
 */
export function decodeBody(payload: Readable, contentEncoding: string | undefined, limit: number): Readable {
  const encoding = (contentEncoding ?? '').trim().toLowerCase()
  if (encoding === '' || encoding === 'identity') return payload
  const decoder = DECODERS.get(encoding)
  if (!decoder) {
    throw new HttpError(
      415,
      `Content-Encoding "${contentEncoding}" is not supported: send the body uncompressed, or with gzip or deflate.`
    )
  }
  const inflater = decoder.create()
  let decoded = 0
  const body: DecodedBody = Object.assign(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        decoded += chunk.length
        if (decoded > limit) {
          done(new HttpError(413, `The request body is larger than ${limit} bytes once decompressed.`))
        } else {
          done(null, chunk)
        }
      }
    }),
    { receivedEncodedLength: 0 }
  )
  payload.on('data', (chunk: Buffer) => (body.receivedEncodedLength += chunk.length))
  // The request itself is not destroyed, which would drop the socket before the answer: the rest of it is read
  // and discarded instead (the request timeout bounds how long that may take).
  const stop = () => {
    payload.unpipe(inflater)
    inflater.destroy()
    payload.resume()
  }
  inflater.on('error', (error) => {
    stop()
    body.destroy(new HttpError(400, `The request body is not valid ${decoder.name} data (${error.message}).`))
  })
  body.on('error', stop)
  // A client that goes away mid-body must end the request here too, as it does for a body that is not encoded.
  finished(payload, (error) => {
    if (error) body.destroy(new HttpError(400, `The request body ended early (${error.message}).`))
  })
  payload.pipe(inflater).pipe(body)
  return body
}
