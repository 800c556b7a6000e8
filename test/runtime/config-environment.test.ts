import type { SegmentEvent } from '@segment/actions-core'
import { ConfigError, describeJsonError, listrakUrls, parseConfig } from '../../runtime/config'
import { mappedListId } from '../../runtime/pipeline/delivery'
import { LISTRAK_URLS } from '../../src/api/urls'

const subscriptions = [
  {
    name: 'sub',
    subscribe: 'type = "track"',
    partnerAction: 'updateEmailContactProfileFields',
    mapping: { listId: 12345, profileFieldValues: { '6789': 'on' } }
  }
]
const fromFile = {
  settings: { client_id: 'file-id', client_secret: 'file-secret' },
  listrak: { authUrl: 'http://file.example/OAuth2/Token', apiUrl: 'http://file.example/email/v1' },
  subscriptions
}

describe('where the Listrak settings come from: the environment, then the config file, then Listrak', () => {
  it('takes LISTRAK_AUTH_URL and LISTRAK_API_URL over the config file', () => {
    const env = { LISTRAK_AUTH_URL: 'http://env.example/OAuth2/Token', LISTRAK_API_URL: 'http://env.example/email/v1' }
    expect(listrakUrls(parseConfig(fromFile, 'test', env))).toEqual({
      authUrl: 'http://env.example/OAuth2/Token',
      apiUrl: 'http://env.example/email/v1'
    })
  })

  it('takes the config file when the environment says nothing, and Listrak when neither does', () => {
    expect(listrakUrls(parseConfig(fromFile, 'test', {}))).toEqual(fromFile.listrak)
    expect(listrakUrls(parseConfig({ subscriptions }, 'test', {}))).toEqual({
      authUrl: LISTRAK_URLS.auth,
      apiUrl: LISTRAK_URLS.api
    })
  })

  it('takes one URL from each place when each sets one', () => {
    const config = parseConfig({ ...fromFile, listrak: { apiUrl: 'http://file.example/email/v1' } }, 'test', {
      LISTRAK_AUTH_URL: 'http://env.example/OAuth2/Token'
    })
    expect(listrakUrls(config)).toEqual({
      authUrl: 'http://env.example/OAuth2/Token',
      apiUrl: 'http://file.example/email/v1'
    })
  })

  it('takes the credentials in the same order', () => {
    const env = { LISTRAK_CLIENT_ID: 'env-id', LISTRAK_CLIENT_SECRET: 'env-secret' }
    expect(parseConfig(fromFile, 'test', env).settings).toEqual({ client_id: 'env-id', client_secret: 'env-secret' })
    expect(parseConfig(fromFile, 'test', {}).settings).toEqual(fromFile.settings)
  })

  it('refuses an environment URL that is not a URL, naming the variable', () => {
    expect(() => parseConfig(fromFile, 'test', { LISTRAK_API_URL: 'api.listrak.com' })).toThrow(ConfigError)
    expect(() => parseConfig(fromFile, 'test', { LISTRAK_API_URL: 'api.listrak.com' })).toThrow(
      'LISTRAK_API_URL="api.listrak.com" is not a URL'
    )
  })
})

describe('describeJsonError', () => {
  const parseError = (text: string) => {
    try {
      JSON.parse(text)
    } catch (error) {
      return (error as Error).message
    }
    throw new Error('expected the text not to parse')
  }

  it('turns "at position N" into the line and column, with the line and a caret under the column', () => {
    const text = '{\n  "subscriptions": [\n    { name: 1 }\n  ]\n}\n'
    expect(describeJsonError(text, parseError(text))).toBe(
      ["line 3, column 7: Expected property name or '}' in JSON", '      { name: 1 }', '        ^'].join('\n')
    )
  })

  it('shows a long line around the column only', () => {
    const text = `{${'"a": 1, '.repeat(40)}"b": }`
    const [where, shown, caret] = describeJsonError(text, parseError(text)).split('\n')
    expect(where).toMatch(/^line 1, column 327: Unexpected token '}'/)
    expect(shown.startsWith('  …')).toBe(true)
    expect(shown.length).toBeLessThan(100)
    expect(shown[caret.length - 1]).toBe('}')
  })

  it.each([
    ['a short text, quoted whole', '{"a": }', 1, 7],
    ['the start of a text', `{"a": }${' '.repeat(30)}`, 1, 7],
    ['the middle of a text', `{\n  "a": 'single',\n  "b": ${'1'.repeat(30)}\n}`, 2, 8],
    ['the end of a text', `{\n  "longer name than ten": }`, 2, 27]
  ])('finds an unexpected token, which V8 reports without a position, in %s', (_, text, line, column) => {
    expect(describeJsonError(text, parseError(text)).split('\n')[0]).toMatch(
      new RegExp(`^line ${line}, column ${column}: Unexpected token '.'$`)
    )
  })

  it('passes a message without a position through', () => {
    expect(describeJsonError('', 'Unexpected end of JSON input')).toBe('Unexpected end of JSON input')
  })
})

describe('mappedListId', () => {
  const event = { type: 'track', properties: { list_id: '67890' } } as unknown as SegmentEvent

  it.each([
    [12345, 12345],
    ['12345', 12345],
    [{ '@path': '$.properties.list_id' }, 67890],
    [{ '@path': '$.properties.missing' }, undefined],
    ['abc', undefined],
    [0, undefined],
    [undefined, undefined]
  ])('reads the list of listId %j as %j', (listId, expected) => {
    expect(mappedListId({ listId }, event)).toBe(expected)
  })
})
