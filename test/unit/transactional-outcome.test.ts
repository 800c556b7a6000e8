import { IntegrationError, InvalidAuthenticationError, RetryableError } from '@segment/actions-core'
import { httpFailure, transportFailure } from '../../src/api/errors'
import {
  classifySendFailure,
  messageFailureToError,
  OUTCOME_UNKNOWN,
  OUTCOME_UNKNOWN_STATUS
} from '../../src/sendTransactionalMessage/outcome'
import { finishMessage, readMessage } from '../../src/sendTransactionalMessage/prepare'
import { classify } from '../../runtime/pipeline/delivery'

const SUBJECT = 'transactional message 501 on list 12345'
const network = (code: string, message: string) =>
  transportFailure(Object.assign(new Error(message), { code }), SUBJECT)
const http = (status: number, body = '') => httpFailure(status, body, SUBJECT)
const envelope = (status: number, error: string, message: string) => JSON.stringify({ status, error, message })

describe('classifySendFailure: retried only when the message surely was not taken', () => {
  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND api.listrak.com'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN api.listrak.com']
  ])('%s (no connection was made) is a retryable 500 that says nothing was sent', (code, message) => {
    const failure = classifySendFailure(network(code, message), SUBJECT)
    expect(failure).toMatchObject({ status: 500, errortype: 'RETRYABLE_ERROR' })
    expect(failure.message).toBe(
      `Could not connect to Listrak for ${SUBJECT} (${code} ${message}): nothing was sent; it will be retried.`
    )
  })

  it('429 stays a retryable 429', () => {
    const failure = classifySendFailure(http(429, envelope(429, 'ERROR_TOO_MANY_REQUESTS', 'Slow down.')), SUBJECT)
    expect(failure).toMatchObject({ status: 429, errortype: 'TOO_MANY_REQUESTS' })
    expect(failure.message).toContain('it will be retried later')
  })

  it('503 stays a retryable 503 that says Listrak did not take the message', () => {
    const failure = classifySendFailure(http(503, 'Service Unavailable'), SUBJECT)
    expect(failure).toMatchObject({ status: 503, errortype: 'SERVICE_UNAVAILABLE' })
    expect(failure.message).toBe(
      `Listrak is unavailable (HTTP 503: Service Unavailable) and did not take ${SUBJECT}; it will be retried.`
    )
  })

  it('401 stays 401: the token was refused before anything was processed', () => {
    expect(classifySendFailure(http(401, envelope(401, 'ERROR_UNAUTHORIZED', 'Denied.')), SUBJECT)).toMatchObject({
      status: 401,
      errortype: 'UNAUTHORIZED'
    })
  })

  it.each([400, 404, 415])("Listrak's refusal %i stays final, with its code", (status) => {
    const failure = classifySendFailure(http(status, envelope(status, 'ERROR_X', 'No.')), SUBJECT)
    expect(failure.status).toBe(status)
    expect(failure.message).toContain('ERROR_X: No.')
  })
})

describe('classifySendFailure: an unknown outcome is final and says so', () => {
  const expectUnknown = (failure: ReturnType<typeof classifySendFailure>) => {
    expect(failure).toMatchObject({ status: OUTCOME_UNKNOWN_STATUS, errortype: OUTCOME_UNKNOWN })
    expect(failure.message).toContain('may or may not have been sent')
    expect(failure.message).toContain(
      "Check the transactional message's activity in Listrak before sending it again; this event is not retried"
    )
  }

  it.each([
    ['ECONNRESET', 'socket hang up'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['ETIMEDOUT', 'Request timed out after 10000ms'],
    ['REQUESTTIMEOUTERROR', 'Request timed out before receiving a response'],
    ['EPIPE', 'write EPIPE']
  ])('%s (%s) after the request left', (code, message) => {
    const failure = classifySendFailure(network(code, message), SUBJECT)
    expectUnknown(failure)
    expect(failure.message).toContain(`after the request was sent (${code} ${message})`)
  })

  it('a network error without a code', () => {
    expectUnknown(classifySendFailure(transportFailure(new Error('aborted'), SUBJECT), SUBJECT))
  })

  it.each([500, 502, 504, 408])('HTTP %i', (status) => {
    const failure = classifySendFailure(http(status, envelope(status, 'ERROR_UNHANDLED_EXCEPTION', 'Oops.')), SUBJECT)
    expectUnknown(failure)
    expect(failure.message).toContain(`Listrak answered HTTP ${status} ERROR_UNHANDLED_EXCEPTION: Oops. for ${SUBJECT}`)
  })

  it('carries a status that neither actions-core, Segment nor the local runtime retries', () => {
    const retryable = [408, 423, 429, 500, 502, 503, 504]
    expect(retryable).not.toContain(OUTCOME_UNKNOWN_STATUS)
    expect(OUTCOME_UNKNOWN_STATUS).not.toBe(401)
    expect(OUTCOME_UNKNOWN_STATUS).toBeGreaterThanOrEqual(400)
    expect(OUTCOME_UNKNOWN_STATUS).toBeLessThan(500)
    expect(classify(OUTCOME_UNKNOWN_STATUS)).toBe('refused')
  })
})

describe('messageFailureToError (one event)', () => {
  it('throws a final IntegrationError for an unknown outcome', () => {
    const error = messageFailureToError(classifySendFailure(network('ECONNRESET', 'socket hang up'), SUBJECT))
    expect(error).toBeInstanceOf(IntegrationError)
    expect(error).toMatchObject({ code: OUTCOME_UNKNOWN, status: OUTCOME_UNKNOWN_STATUS })
  })

  it.each([
    ['ECONNREFUSED', network('ECONNREFUSED', 'connect ECONNREFUSED'), RetryableError],
    ['429', http(429), RetryableError],
    ['503', http(503), RetryableError],
    ['401', http(401), InvalidAuthenticationError],
    ['400', http(400), IntegrationError]
  ])('throws for %s the error actions-core acts on', (_, failure, type) => {
    expect(messageFailureToError(classifySendFailure(failure, SUBJECT))).toBeInstanceOf(type)
  })
})

describe('readMessage', () => {
  const payload = (profileFieldValues: Record<string, unknown>, emailAddress = 'jane@example.com') => ({
    listId: 12345,
    transactionalMessageId: 501,
    emailAddress,
    profileFieldValues,
    enable_batching: true
  })

  it('sends merge values as strings, and an empty array when there are none', () => {
    for (const [values, expected] of [
      [
        { '7001': ' A-1001 ', '7003': 42.5 },
        [
          { segmentationFieldId: 7001, value: 'A-1001' },
          { segmentationFieldId: 7003, value: '42.5' }
        ]
      ],
      [{}, []]
    ] as const) {
      expect(finishMessage(readMessage(payload(values)), undefined)).toEqual({
        ok: true,
        send: {
          listId: 12345,
          transactionalMessageId: 501,
          contact: { emailAddress: 'jane@example.com', segmentationFieldValues: expected },
          ignored: []
        }
      })
    }
  })

  it('refuses a bad recipient and useAudienceKey, which needs an audience, in one message', () => {
    expect(finishMessage(readMessage(payload({ x: '1', '6789': 'useAudienceKey' }, 'nope')), undefined)).toEqual({
      ok: false,
      message:
        'Email Address "nope" is not a valid email address. Merge Values: field 6789: "useAudienceKey" needs the ' +
        "event's audience membership, but the event has none here: Send Transactional Message reads no audience."
    })
  })

  it('sends the merge values beside keys that are no profile field IDs, and names those keys', () => {
    expect(finishMessage(readMessage(payload({ x: '1', '7001': 'A-1' })), undefined)).toEqual({
      ok: true,
      send: {
        listId: 12345,
        transactionalMessageId: 501,
        contact: {
          emailAddress: 'jane@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 7001, value: 'A-1' }]
        },
        ignored: ['x']
      }
    })
  })
})
