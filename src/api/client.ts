import type { RequestClient } from '@segment/actions-core'
import type { z } from 'zod'
import { httpFailure, ListrakFailure, parseJson, transportFailure } from './errors'

export type ListrakResult<T> = { ok: true; status: number; data: T } | { ok: false; failure: ListrakFailure }

/**
 * One call to Listrak's API: sends it, turns a transport error or a non-2xx answer into a `ListrakFailure`
 * that names `subject`, and parses a 2xx body with `schema`. A body that does not parse is a retryable failure;
 * a schema that must accept anything says so itself (with `.catch`).
 */
export async function callListrak<T>(
  request: RequestClient,
  url: string,
  options: { method: 'GET' | 'POST'; json?: unknown },
  subject: string,
  schema: z.ZodType<T>
): Promise<ListrakResult<T>> {
  let response
  try {
    response = await request(url, { ...options, throwHttpErrors: false, skipResponseCloning: true })
  } catch (error) {
    return { ok: false, failure: transportFailure(error, subject) }
  }
  const content = (response as { content?: string }).content ?? ''
  if (!response.ok) return { ok: false, failure: httpFailure(response.status, content, subject) }
  const parsed = schema.safeParse(parseJson(content))
  if (parsed.success) return { ok: true, status: response.status, data: parsed.data }
  const issue = parsed.error.issues[0]
  return {
    ok: false,
    failure: {
      status: 502,
      errortype: 'BAD_GATEWAY',
      message: `Listrak answered ${subject} with a body this destination cannot read (${issue.path.join('.') || 'body'}: ${issue.message}); it will be retried.`
    }
  }
}
