import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'fs'
import os from 'os'
import path from 'path'
import { run } from './run'

/**
 * scripts/ensure-redis.sh, which `npm test` runs before anything else, on machines it cannot or need not change: a
 * PATH of a few tools, with stand-ins for redis-server, apt-get, sudo and id where a case needs them.
 */

const root = path.join(__dirname, '..')
const SCRIPT = path.join(root, 'scripts', 'ensure-redis.sh')
const RUN_MS = 20_000

function onPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name)
  }
  throw new Error(`${name} is not on PATH`)
}

const NO_APT_GET =
  'redis-server is missing, and without apt-get this script cannot install it: install Redis 6.2 or later\n' +
  "with the system's package manager, or set REDIS_SERVER to a redis-server binary.\n"
const NO_ROOT =
  'redis-server is missing; installing it needs root, and sudo is not available without a password. Run:\n' +
  '  sudo apt-get update && sudo apt-get install -y redis-server\n' +
  'or set REDIS_SERVER to a redis-server binary (6.2 or later).\n'

let dir: string
let bin: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ensure-redis-'))
  bin = path.join(dir, 'bin')
  mkdirSync(bin)
  for (const tool of ['sed', 'cut', 'id', 'true']) symlinkSync(onPath(tool), path.join(bin, tool))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** A stand-in program in `bin` (or at `file`), a shell script; `calls` is where it writes its arguments. */
function fake(name: string, body: string, file = path.join(bin, name)): string {
  rmSync(file, { force: true })
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${path.join(dir, 'calls')}"\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}
const calls = () => (existsSync(path.join(dir, 'calls')) ? readFileSync(path.join(dir, 'calls'), 'utf8') : '')
const redisServer = (version: string, file?: string) =>
  fake('redis-server', `echo "Redis server v=${version} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1"`, file)
const notRoot = () => fake('id', 'echo 1000')

const ensure = (env: NodeJS.ProcessEnv = {}) =>
  run(onPath('bash'), [SCRIPT], { cwd: dir, env: { HOME: dir, PATH: bin, ...env }, timeout: RUN_MS })

describe('scripts/ensure-redis.sh', () => {
  it.each([
    ['7.0.15', 0, 'redis-server 7.0.15 is installed.\n', ''],
    ['6.2.0', 0, 'redis-server 6.2.0 is installed.\n', ''],
    [
      '6.0.16',
      1,
      '',
      'redis-server 6.0.16 is too old for the Redis queue, which needs 6.2 or later:\n' +
        'install a newer one (Debian 12, Ubuntu 24.04, or packages.redis.io) and run this again.\n'
    ]
  ])('leaves a redis-server %s that is there alone, and says whether it will do', async (version, code, out, err) => {
    redisServer(version)
    fake('apt-get', 'exit 0')
    expect(await ensure()).toEqual({ code, stdout: out, stderr: err })
    expect(calls()).toBe('redis-server --version\n')
  })

  it('takes the redis-server that REDIS_SERVER names, off the PATH, and refuses one that is not there', async () => {
    fake('apt-get', 'exit 0')
    const elsewhere = redisServer('7.2.4', path.join(dir, 'redis-server-7'))
    expect(await ensure({ REDIS_SERVER: elsewhere })).toEqual({
      code: 0,
      stdout: 'redis-server 7.2.4 is installed.\n',
      stderr: ''
    })
    const missing = path.join(dir, 'no-such-redis-server')
    expect(await ensure({ REDIS_SERVER: missing })).toEqual({
      code: 1,
      stdout: '',
      stderr: `REDIS_SERVER is ${missing}, which is not a program: set it to a redis-server binary, or unset it.\n`
    })
    expect(calls()).toBe('redis-server --version\n')
  })

  it("installs Debian's package with apt-get as root, then checks its version", async () => {
    fake('id', 'echo 0')
    fake(
      'apt-get',
      `[ "$1" = install ] && ${onPath('cp')} "${path.join(dir, 'redis-server')}" "${bin}/"; echo "$DEBIAN_FRONTEND"`
    )
    redisServer('7.0.15', path.join(dir, 'redis-server'))
    const ran = await ensure()
    expect(ran).toMatchObject({ code: 0, stderr: '' })
    expect(ran.stdout).toBe('noninteractive\nnoninteractive\nredis-server 7.0.15 is installed.\n')
    expect(calls()).toBe(
      'id -u\napt-get update -q\napt-get install -y -q --no-install-recommends redis-server\nredis-server --version\n'
    )
  })

  it('installs through sudo, never waiting for a password, when not root', async () => {
    notRoot()
    fake('sudo', '[ "$1" = -n ] || exit 9; shift; exec "$@"')
    fake('apt-get', `[ "$1" = install ] && ${onPath('cp')} "${path.join(dir, 'redis-server')}" "${bin}/"; exit 0`)
    redisServer('7.0.15', path.join(dir, 'redis-server'))
    expect(await ensure()).toEqual({ code: 0, stdout: 'redis-server 7.0.15 is installed.\n', stderr: '' })
    expect(
      calls()
        .split('\n')
        .filter((call) => call.startsWith('sudo'))
    ).toEqual([
      'sudo -n true',
      'sudo -n apt-get update -q',
      'sudo -n apt-get install -y -q --no-install-recommends redis-server'
    ])
  })

  it('stops with what to do, and exit code 1, where there is no apt-get', async () => {
    expect(await ensure()).toEqual({ code: 1, stdout: '', stderr: NO_APT_GET })
  })

  it.each([
    ['sudo asks for a password', () => fake('sudo', 'echo "sudo: a password is required" >&2; exit 1')],
    ['there is no sudo', () => undefined]
  ])('stops with what to do, and exit code 1, when not root and %s', async (_, sudo) => {
    notRoot()
    sudo()
    fake('apt-get', 'exit 0')
    expect(await ensure()).toEqual({ code: 1, stdout: '', stderr: NO_ROOT })
    expect(calls()).not.toContain('apt-get')
  })
})

describe('npm test', () => {
  it('runs scripts/ensure-redis.sh before it builds or starts jest, and stops there when it fails', async () => {
    // The project's own scripts, in a folder where a build or jest, if they ran, would fail at once: no node_modules.
    const project = path.join(dir, 'project')
    mkdirSync(project)
    copyFileSync(path.join(root, 'package.json'), path.join(project, 'package.json'))
    symlinkSync(path.join(root, 'scripts'), path.join(project, 'scripts'), 'dir')
    for (const tool of ['node', 'sh', 'bash']) symlinkSync(onPath(tool), path.join(bin, tool))
    const env = {
      HOME: dir,
      PATH: bin,
      npm_config_cache: path.join(dir, 'npm-cache'),
      npm_config_update_notifier: 'false'
    }
    const ran = await run(process.execPath, [onPath('npm'), 'test'], { cwd: project, env, timeout: RUN_MS })
    expect(ran.code).toBe(1)
    expect(ran.stdout).toContain('> bash scripts/ensure-redis.sh')
    expect(ran.stderr).toContain(NO_APT_GET)
    expect(ran.stdout + ran.stderr).not.toMatch(/^> listrak-actions@[\d.]+ (build|test)$/m)
  })
})
