import type { RequestClient } from '@segment/actions-core'
import { z } from 'zod'
import { httpFailure, ListrakFailure, parseJson, transportFailure } from './errors'
import type { ListrakUrls } from './urls'

/** actions-core's request client, with the URLs its calls to Listrak go to. */
export type ListrakRequest = RequestClient & { readonly urls: ListrakUrls }

/** `request`, sending Listrak's calls to `urls`. */
export function withUrls(request: RequestClient, urls: ListrakUrls): ListrakRequest {
  // The wrapper forwards every call; only its type parameter is lost, which the cast restores.
  return Object.assign((...args: Parameters<RequestClient>) => request(...args), { urls }) as ListrakRequest
}

export type ListrakResult<T> = { ok: true; status: number; data: T } | { ok: false; failure: ListrakFailure }

/**
 * What a call needs of a schema. Written out rather than as `z.ZodType<T>`, whose type parameters differ between
 * zod 3 (output, def, input) and zod 4 (output, input), so that schemas of either major version fit.
 */
export interface ResponseSchema<T> {
  safeParse(
    data: unknown
  ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }
}

export interface CallOptions {
  method: 'GET' | 'POST'
  json?: unknown
  /** What a 404 means for this call, when it is more than an unknown list. */
  notFound?: string
}

/**
 * One call to Listrak's API: sends it, turns a transport error or a non-2xx answer into a `ListrakFailure`
 * that names `subject`, and parses a 2xx body with `schema`. A body that does not parse is a retryable failure;
 * a schema that must accept anything says so itself (with `.catch`).
 */
export async function callListrak<T>(
  request: ListrakRequest,
  url: string,
  { notFound, ...options }: CallOptions,
  subject: string,
  schema: ResponseSchema<T>
): Promise<ListrakResult<T>> {
  let response
  try {
    response = await request(url, { ...options, throwHttpErrors: false, skipResponseCloning: true })
  } catch (error) {
    return { ok: false, failure: transportFailure(error, subject) }
  }
  const content = (response as { content?: string }).content ?? ''
  if (!response.ok) return { ok: false, failure: httpFailure(response.status, content, subject, notFound) }
  const parsed = schema.safeParse(parseJson(content))
  if (parsed.success) return { ok: true, status: response.status, data: parsed.data }
  const issue = parsed.error.issues[0]
  const where = issue.path.map(String).join('.') || 'body'
  return {
    ok: false,
    failure: {
      status: 502,
      errortype: 'BAD_GATEWAY',
      message: `Listrak answered ${subject} with a body this destination cannot read (${where}: ${issue.message}); it will be retried.`
    }
  }
}

/** Listrak's `Collection[T]`: the items under `data`. */
export const collection = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item) }).transform(({ data }) => data)

/** The outcome of a request that creates something: Listrak's status and the new resource's ID, or the failure. */
export type CreatedOutcome =
  | { ok: true; status: number; body: { status: number; resourceId?: string } }
  | { ok: false; failure: ListrakFailure }

// Listrak's `ResourceCreated`, read leniently: an accepted request whose body says little is still accepted.
const resourceCreated = z
  .object({ resourceId: z.coerce.string().optional() })
  .catch({ resourceId: undefined })
  .transform(({ resourceId }) => resourceId)

/** A POST that Listrak answers with `ResourceCreated`: an import, a contact, a message. */
export async function postResource(
  request: ListrakRequest,
  url: string,
  json: unknown,
  subject: string,
  notFound?: string
): Promise<CreatedOutcome> {
  const result = await callListrak(request, url, { method: 'POST', json, notFound }, subject, resourceCreated)
  if (!result.ok) return result
  const { status, data: resourceId } = result
  return { ok: true, status, body: { status, ...(resourceId ? { resourceId } : {}) } }
}
