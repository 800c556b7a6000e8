import { execFile } from 'child_process'
import { promisify } from 'util'
import { section } from '../consumer/readme'
import { CLI } from './process'

/**
 * The README's synopsis of the runtime's commands against what the built command line says of itself: the same
 * commands and sub-commands, each with the same options.
 */

const run = promisify(execFile)

// Each `--help` starts the whole command line: over a second on a busy machine, and a command has up to six.
jest.setTimeout(60_000)

/** The synopsis: one entry a command, its continuation lines joined. */
function synopsis(): string[] {
  const block = /\n```text\n([\s\S]*?)```\n/.exec(section("The runtime's commands"))
  if (!block) throw new Error("The README's The runtime's commands has no text block")
  return block[1].replace(/\n\s+/g, ' ').trim().split('\n')
}

/** The command and sub-commands a synopsis line names (`dead-letters list|export|…` names several). */
function named(line: string): { command: string; subcommands: string[] } {
  const [command, next = ''] = line.replace(/^listrak-actions /, '').split(' ')
  return { command, subcommands: /^[a-z|-]+$/.test(next) ? next.split('|') : [] }
}

const optionsIn = (text: string) => new Set(text.match(/--[a-z][a-z-]*/g) ?? [])

/** What `--help` lists: its options but `--help`, and its commands but `help`. */
async function help(args: string[]): Promise<{ options: Set<string>; commands: string[] }> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--help'])
  const sections = new Map(
    stdout.split('\n\n').map((block): [string, string] => {
      const [title, ...body] = block.split('\n')
      return [title, body.join('\n')]
    })
  )
  const options = [...(sections.get('Options:') ?? '').matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map(([, o]) => o)
  const commands = [...(sections.get('Commands:') ?? '').matchAll(/^\s{2}([a-z][a-z-]*)/gm)].map(([, c]) => c)
  return { options: new Set(options.filter((o) => o !== '--help')), commands: commands.filter((c) => c !== 'help') }
}

describe("the README's synopsis of the runtime's commands", () => {
  const lines = synopsis().filter((line) => /^listrak-actions [a-z]/.test(line))

  it('names every command the command line has, and the version and help', async () => {
    expect(lines.map((line) => named(line).command)).toEqual((await help([])).commands)
    expect(synopsis()).toEqual(
      expect.arrayContaining(['listrak-actions <command> --help', 'listrak-actions --version'])
    )
  })

  it.each(lines)('gives the sub-commands and options `--help` gives: %s', async (line) => {
    const { command, subcommands } = named(line)
    const top = await help([command])
    expect([...subcommands].sort()).toEqual([...top.commands].sort())
    const below = await Promise.all(subcommands.map((subcommand) => help([command, subcommand])))
    const options = new Set([...top.options, ...below.flatMap((each) => [...each.options])])
    expect([...optionsIn(line)].sort()).toEqual([...options].sort())
  })
})
