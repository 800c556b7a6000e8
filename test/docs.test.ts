import { existsSync, readdirSync, readFileSync } from 'fs'
import path from 'path'
import { section, shellBlocks } from './consumer/readme'

/**
 * The README and the pages of docs/ hold to what they link and show: every relative link and anchor resolves, no
 * line is wider than the code's 120 columns, and every command the README's first steps give is run by a test or
 * named here with the reason it is not.
 */

const root = path.join(__dirname, '..')
const WIDTH = 120
const PAGES = ['README.md', ...readdirSync(path.join(root, 'docs')).map((file) => `docs/${file}`)].filter((page) =>
  page.endsWith('.md')
)

const read = (page: string) => readFileSync(path.join(root, page), 'utf8')

/** The lines of Markdown outside fenced code blocks, with their line numbers. */
function prose(text: string): [number, string][] {
  let fenced = false
  return text.split('\n').flatMap((line, index): [number, string][] => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced
      return []
    }
    return fenced ? [] : [[index + 1, line]]
  })
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const slugs = new Set<string>()
  for (const [, line] of prose(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const base = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    slugs.add(count === 0 ? base : `${base}-${count}`)
  }
  return slugs
}

/**
 * Every relative link of `pages` (path from the root → text) that does not resolve: a file that is not there, or an
 * anchor no heading of its page gives. `exists` says whether a path from the root is there.
 */
function brokenLinks(pages: Map<string, string>, exists: (file: string) => boolean): string[] {
  const broken: string[] = []
  for (const [page, text] of pages) {
    for (const [number, line] of prose(text)) {
      const links = [...line.replace(/`[^`]*`/g, 'code').matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target)
      for (const target of links.filter((link) => !/^[a-z]+:/i.test(link))) {
        const [file, anchor] = target.split('#')
        const linked = file ? path.posix.normalize(path.posix.join(path.posix.dirname(page), file)) : page
        const where = `${page}:${number} links ${target}`
        if (!pages.has(linked) && !exists(linked)) broken.push(`${where}: ${linked} is not there`)
        else if (anchor !== undefined && !anchors(pages.get(linked) ?? read(linked)).has(anchor))
          broken.push(`${where}: ${linked} has no heading #${anchor}`)
      }
    }
  }
  return broken
}

describe('the links of the README and docs/', () => {
  const pages = new Map(PAGES.map((page) => [page, read(page)]))
  const exists = (file: string) => existsSync(path.join(root, file))

  it('all resolve, to a file that is there and a heading of its page', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'docs/actions.md', 'docs/runtime.md']))
    expect(brokenLinks(pages, exists)).toEqual([])
  })

  it('are found broken when a file is not there, or its page has no such heading', () => {
    const page = [
      '# Page',
      '## The queue: durability and dead letters',
      '[ok](#the-queue-durability-and-dead-letters) [ok](other.md#a-b) [ok](https://example.com/#x)',
      '[gone](missing.md) [no heading](#the-queue) [no heading](other.md#c) `[code](not-a-link.md)`',
      '```',
      '[in a code block](also-not-a-link.md)',
      '```'
    ].join('\n')
    const broken = brokenLinks(
      new Map([
        ['docs/page.md', page],
        ['docs/other.md', '## A b']
      ]),
      () => false
    )
    expect(broken).toEqual([
      'docs/page.md:4 links missing.md: docs/missing.md is not there',
      'docs/page.md:4 links #the-queue: docs/page.md has no heading #the-queue',
      'docs/page.md:4 links other.md#c: docs/other.md has no heading #c'
    ])
  })

  it('name headings by the anchors GitHub gives them', () => {
    const slugs = anchors('# `listrak-actions` → Segment\n## Sending events\n## Sending events\n## What it promises')
    expect([...slugs]).toEqual(['listrak-actions--segment', 'sending-events', 'sending-events-1', 'what-it-promises'])
  })
})

describe('the width of the README and docs/', () => {
  it.each(PAGES)(`%s has no line over ${WIDTH} characters, code and tables included`, (page) => {
    const wide = read(page)
      .split('\n')
      .flatMap((line, index) => {
        const characters = [...line].length
        return characters > WIDTH ? [`line ${index + 1}: ${characters} characters`] : []
      })
    expect(wide).toEqual([])
  })
})

/**
 * Each command of the README's Quick start and Install and register, and of the TypeScript way in docs/install.md:
 * the test file that runs it (which must hold these words), or why none does.
 */
const COMMANDS: Record<string, { test: string; words: string[] } | { notRun: string }> = {
  'npm install': { notRun: 'every test runs in a checkout already installed: CI installs it with `npm ci` (.ci/run)' },
  'npm start': {
    test: 'test/cli/serve-command.test.ts',
    words: ["startCli(['serve'", 'No Listrak credentials configured', '/_sandbox/lists/12345/contacts']
  },
  'npm test': { test: 'test/ensure-redis.test.ts', words: ["[onPath('npm'), 'test']", 'scripts/ensure-redis.sh'] },
  'npm ci': { test: 'test/consumer/install.test.ts', words: ["section('Install and register')", "'npm ci'"] },
  'npm pack': { test: 'test/consumer/install.test.ts', words: ["section('Install and register')", "'npm pack'"] },
  'npm install path/to/listrak-actions-0.1.0.tgz @segment/actions-core': {
    test: 'test/consumer/install.test.ts',
    words: ["section('Install and register')", "command.startsWith('npm install ')"]
  },
  'npm install listrak-actions @segment/actions-core': {
    notRun: 'listrak-actions is not on the npm registry yet; the tarball install above is what it will do'
  },
  'LISTRAK_AUTH_URL=http://127.0.0.1:3001/OAuth2/Token LISTRAK_API_URL=http://127.0.0.1:3001/email/v1 LISTRAK_CLIENT_ID=demo-client-id LISTRAK_CLIENT_SECRET=demo-client-secret node register.cjs':
    {
      test: 'test/consumer/install.test.ts',
      words: ["'register.cjs'", 'LISTRAK_AUTH_URL: sandbox.authUrl', 'LISTRAK_CLIENT_ID: clientId']
    },
  'npm install --save-dev typescript @types/node': {
    test: 'test/consumer/install.test.ts',
    words: ["section('ES modules and TypeScript', 'docs/install.md')", "command.startsWith('npm install ')"]
  },
  'npx tsc': { test: 'test/consumer/install.test.ts', words: ["succeed('npx', ['tsc']"] }
}

/** The commands of a section's `sh` blocks, each `a && b` as its commands. */
const commandsOf = (text: string) => shellBlocks(text).flatMap((block) => block.flatMap((line) => line.split(' && ')))

describe("the commands of the README's first steps", () => {
  const shown = [
    ...commandsOf(section('Quick start')),
    ...commandsOf(section('Install and register')),
    ...commandsOf(section('ES modules and TypeScript', 'docs/install.md'))
  ]

  it('are each run by a test, or named here with why not', () => {
    expect(shown.filter((command) => !(command in COMMANDS))).toEqual([])
  })

  it.each(Object.entries(COMMANDS))('%s: is shown, and run by its test or not for a reason', (command, entry) => {
    expect(shown).toContain(command)
    if ('notRun' in entry) return expect(entry.notRun).not.toBe('')
    const test = read(entry.test)
    for (const words of entry.words) expect(test).toContain(words)
  })
})

describe("the README's example configs", () => {
  const table = section('Example configs')

  it('name every config of examples/', () => {
    const configs = readdirSync(path.join(root, 'examples')).filter((file) => /^config\b.*\.json$/.test(file))
    expect(configs.length).toBeGreaterThan(0)
    for (const config of configs) expect(table).toContain(`| \`${config}\``)
  })

  it('name only configs and event files that are there', () => {
    const named = [...table.matchAll(/`([\w.-]+\.(?:json|ndjson))`/g)].map(([, file]) =>
      file.endsWith('.ndjson') ? `examples/events/${file}` : `examples/${file}`
    )
    expect(named.length).toBeGreaterThan(0)
    expect(named.filter((file) => !existsSync(path.join(root, file)))).toEqual([])
  })
})
