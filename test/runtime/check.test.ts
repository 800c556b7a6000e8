import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import { execFile } from 'child_process'
import path from 'path'
import { promisify } from 'util'
import { checkConfig } from '../../runtime/commands/check'
import { formatCheck, isProblem } from '../../runtime/commands/check/rows'
import { parseConfig, RuntimeConfigInput } from '../../runtime/config'
import { CheckFailedError } from '../../runtime'
import { useSandbox } from '../sandbox/client'
import { configFile, startTestRuntime } from './harness'

const root = path.join(__dirname, '..', '..')
const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const { current, start } = useSandbox({ asListrak: true })
beforeEach(() => start())

const subscription = (mapping: Record<string, unknown>, name = 'sub') => ({
  name,
  subscribe: 'type = "track"',
  partnerAction: 'updateEmailContactProfileFields' as const,
  mapping
})
const check = (input: RuntimeConfigInput, settings = demo, sample?: string) =>
  checkConfig(parseConfig(input, 'test', {}), settings, sample)

describe('check', () => {
  it.each(['config.json', 'config.two-mappings.json', 'config.every-audience.json', 'config.profile-fields.json'])(
    'passes on examples/%s',
    async (name) => {
      const rows = await check(configFile(name))
      expect(rows.filter(isProblem)).toEqual([])
      expect(rows.length).toBeGreaterThan(0)
    }
  )

  it('fails on an unknown list, an unknown field and values that do not fit their fields, each with its reason', async () => {
    const values = {
      '4242': 'on',
      '6789': 'maybe',
      '6790': 'useAudienceKey',
      '7001': 'Downtown',
      '7003': 'lots',
      '7004': { '@path': '$.traits.birthday' }
    }
    const rows = await check({
      subscriptions: [
        subscription({ listId: 999, profileFieldValues: { '6789': 'on' } }, 'unknown list'),
        subscription({ listId: 12345, profileFieldValues: values }, 'fields')
      ]
    })
    expect(rows.map(({ subscription: s, field, status, reason }) => [s, field, status, reason])).toEqual([
      ['unknown list', '', 'error', 'list 999 does not exist for these API credentials'],
      ['fields', '4242', 'error', 'list 12345 has no profile field 4242'],
      [
        'fields',
        'Engage Audiences › my_audience (6789)',
        'error',
        'field 6789 ("my_audience", a check box) takes "on" or "off", not "maybe"'
      ],
      ['fields', 'Engage Audiences › vip_customers (6790)', 'ok', 'check box'],
      ['fields', 'Preferences › favorite_store (7001)', 'ok', 'Text field'],
      [
        'fields',
        'Preferences › loyalty_points (7003)',
        'error',
        'field 7003 ("loyalty_points", a Numeric field) takes a number, not "lots"'
      ],
      ['fields', 'Preferences › birthday (7004)', 'ok', 'Date field; the value comes from each event']
    ])
    expect(formatCheck(rows).split('\n')[0]).toMatch(/^subscription\s+list\s+field\s+status\s+reason$/)
  })

  it('with Bulk Import on, says the credentials can read the list’s imports, and starts none', async () => {
    const rows = await check({
      subscriptions: [
        {
          name: 'bulk signups',
          subscribe: 'type = "identify"',
          partnerAction: 'upsertContact',
          mapping: { listId: 12345, bulk_import: 'add_and_update' }
        },
        {
          name: 'bulk unsubscribes',
          subscribe: 'type = "track"',
          partnerAction: 'unsubscribeContact',
          mapping: { listId: 12345, bulk_import: true }
        }
      ]
    })
    expect(
      rows.filter((row) => row.field === 'List Import').map((r) => [r.subscription, r.list, r.status, r.reason])
    ).toEqual(
      ['bulk signups', 'bulk unsubscribes'].map((name) => [
        name,
        'Newsletter (12345)',
        'ok',
        "the credentials can read list 12345's imports (GET …/ListImport), as following them up does; starting one " +
          '(POST …/ListImport) is not tried'
      ])
    )
    expect(rows.filter(isProblem)).toEqual([])
    expect(
      current.sandbox.state.requests.toJSON().data.filter((r) => r.method === 'POST' && /ListImport/.test(r.path))
    ).toEqual([])
  })

  it('reports bad credentials once, with Listrak’s reason', async () => {
    const rows = await check(configFile('config.json'), { ...demo, client_secret: 'wrong' })
    expect(rows).toEqual([
      expect.objectContaining({ status: 'error', reason: expect.stringContaining('ERROR_INVALID_CREDENTIALS') })
    ])
  })

  it('previews which audiences of a sample would match, be created, or fail', async () => {
    const sample = path.join(root, 'examples', 'events', 'five-audiences.ndjson')
    const create = await check(configFile('config.every-audience.json'), demo, sample)
    expect(create.map((r) => [r.field.replace(/ \(\d+\)$/, ''), r.status])).toEqual([
      ['Engage Audiences › my_audience', 'match'],
      ['Engage Audiences › vip_customers', 'match'],
      ['cart_abandoners', 'create'],
      ['high_value', 'create'],
      ['newsletter_fans', 'create']
    ])
    const input = configFile('config.every-audience.json')
    input.subscriptions[0].mapping.audienceProfileField = 'match'
    const match = await check(input, demo, sample)
    expect(match.filter(isProblem).map((r) => r.field)).toEqual(['cart_abandoners', 'high_value', 'newsletter_fans'])
  })
})

describe('check at start and on the command line', () => {
  it('serve refuses a broken config with the table', async () => {
    await expect(
      startTestRuntime(
        { subscriptions: [subscription({ listId: 999, profileFieldValues: { '6789': 'on' } })] },
        {},
        { check: true }
      )
    ).rejects.toThrow(CheckFailedError)
  })

  it('`listrak-actions check` exits non-zero on problems and zero on the example', async () => {
    const cli = path.join(root, 'dist', 'cli.js')
    const ok = await promisify(execFile)(process.execPath, [
      cli,
      'check',
      '--config',
      path.join(root, 'examples', 'config.json')
    ])
    expect(ok.stdout).toMatch(/ok\s+check box/)
    const bad = path.join(root, 'test', 'runtime', 'fixtures', 'broken-config.json')
    await expect(promisify(execFile)(process.execPath, [cli, 'check', '--config', bad])).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining('takes "on" or "off", not "maybe"')
    })
  })

  it('`listrak-actions check` refuses a subscription whose FQL does not parse, naming it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'check-fql-'))
    const config = path.join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({ subscriptions: [{ ...subscription({ listId: 12345 }), subscribe: 'type = ' }] })
    )
    const cli = path.join(root, 'dist', 'cli.js')
    try {
      await expect(promisify(execFile)(process.execPath, [cli, 'check', '--config', config])).rejects.toMatchObject({
        code: expect.any(Number),
        stderr: expect.stringContaining('subscriptions.0.subscribe: "type = " is not valid FQL')
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
