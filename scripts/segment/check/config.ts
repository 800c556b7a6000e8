import { promises as fs } from 'fs'
import path from 'path'
import { ROOT } from '../prettier2'

/**
 * The monorepo's settings that decide whether a destination folder passes, restated as facts and laid out as
 * there: the root holds the compiler options, ESLint's config and Prettier's ignore file; packages/destination-
 * actions holds its own tsconfig files, its jest settings and its test setup. Paths that point into the monorepo's
 * other packages (actions-core's sources, which its jest and tsconfig map to) are left out: here actions-core is
 * the published package.
 */

export const PACKAGE_DIR = path.join('packages', 'destination-actions')
export const DESTINATIONS_DIR = path.join(PACKAGE_DIR, 'src', 'destinations')

/** The root tsconfig.json's compilerOptions, which every package extends. */
export const ROOT_COMPILER_OPTIONS = {
  module: 'commonjs',
  target: 'es2020',
  lib: ['es2020'],
  declaration: true,
  moduleResolution: 'node',
  esModuleInterop: true,
  resolveJsonModule: true,
  strict: true,
  sourceMap: true,
  removeComments: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  strictPropertyInitialization: false,
  experimentalDecorators: true,
  skipLibCheck: true
}

/**
 * destination-actions' tsconfig.build.json, which its `typecheck` script (`tsc -p tsconfig.build.json --noEmit`)
 * and CI's build use: it leaves every `__tests__` folder out.
 */
const BUILD_TSCONFIG = {
  extends: '../../tsconfig.json',
  compilerOptions: { composite: true, rootDir: 'src', outDir: 'dist', useUnknownInCatchVariables: false },
  exclude: ['**/__tests__/**/*.ts'],
  include: ['src']
}

/** destination-actions' tsconfig.json, with the tests: what ts-jest and ESLint's type information read. */
const PACKAGE_TSCONFIG = {
  extends: './tsconfig.build.json',
  compilerOptions: { baseUrl: '.' },
  exclude: ['dist'],
  include: ['src', 'test']
}

/** destination-actions' jest settings (in its package.json). */
export const JEST_CONFIG = {
  preset: 'ts-jest',
  // ts-jest compiles each file on its own: the tests are not type-checked when they run.
  globals: { 'ts-jest': { isolatedModules: true } },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '__tests__/__helpers__/']
}

/**
 * destination-actions' test/setup-after-env.ts, which its jest runs around every test file. This repository runs
 * test/segment/ with the same file, so the subset gets that file's text.
 */
export const JEST_SETUP_FILE = path.join(ROOT, 'test', 'segment-setup-after-env.ts')

const BAN_TS_COMMENT = {
  'ts-expect-error': 'allow-with-description',
  'ts-ignore': 'allow-with-description',
  'ts-nocheck': true,
  'ts-check': false
}

/**
 * The root .eslintrc.js, as it applies to packages/destination-actions: eslint:recommended, typescript-eslint's
 * recommended and recommended-requiring-type-checking with type information from the root's tsconfig.eslint.json
 * and every package's tsconfig.json, eslint-config-prettier (which only turns off rules Prettier settles; there
 * is no Prettier plugin), the lodash plugin, the rules it changes, the jest override for tests and the ban on
 * crypto's createHash for destination-actions.
 */
export const ESLINT_CONFIG = {
  root: true,
  ignorePatterns: ['node_modules', 'dist', 'templates', 'scripts', '**/node_modules'],
  parser: '@typescript-eslint/parser',
  parserOptions: { ecmaVersion: 2019, project: ['./tsconfig.eslint.json', './packages/*/tsconfig.json'] },
  env: { node: true },
  extends: [
    'eslint:recommended',
    'plugin:@typescript-eslint/recommended',
    'plugin:@typescript-eslint/recommended-requiring-type-checking',
    'prettier/@typescript-eslint',
    'prettier'
  ],
  plugins: ['@typescript-eslint', 'lodash'],
  rules: {
    'lodash/import-scope': ['error', 'method'],
    '@typescript-eslint/ban-types': 'off',
    '@typescript-eslint/ban-ts-comment': ['error', BAN_TS_COMMENT],
    '@typescript-eslint/explicit-module-boundary-types': 'off',
    '@typescript-eslint/no-empty-interface': 'off',
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-unsafe-assignment': 'off',
    '@typescript-eslint/no-unsafe-call': 'warn',
    '@typescript-eslint/no-unsafe-member-access': 'off',
    '@typescript-eslint/no-unsafe-return': 'off',
    'no-unused-vars': 'off',
    '@typescript-eslint/no-unused-vars': [
      'error',
      { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }
    ],
    '@typescript-eslint/require-await': 'off',
    '@typescript-eslint/restrict-plus-operands': 'off',
    '@typescript-eslint/restrict-template-expressions': 'off',
    '@typescript-eslint/unbound-method': 'off',
    '@typescript-eslint/no-unsafe-argument': 'warn',
    '@typescript-eslint/no-misused-promises': 'warn',
    '@typescript-eslint/no-unnecessary-type-assertion': 'warn'
  },
  overrides: [
    {
      files: ['*.test.ts', '**/__tests__/**/*.ts', '**/test/**/*.ts'],
      env: { jest: true },
      plugins: ['jest'],
      rules: {
        '@typescript-eslint/ban-ts-comment': 'off',
        '@typescript-eslint/no-unsafe-call': 'off',
        '@typescript-eslint/no-explicit-any': 'off',
        '@typescript-eslint/no-empty-function': 'off'
      }
    },
    {
      files: ['packages/destination-actions/**/*.ts'],
      rules: {
        'no-restricted-syntax': [
          'error',
          {
            selector: "ImportDeclaration[source.value='crypto'] ImportSpecifier[imported.name='createHash']",
            message: 'Hash with destination-actions/lib/hashing-utils (processHashing), not crypto.createHash.'
          }
        ]
      }
    }
  ]
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n'

/** Writes the monorepo's settings into the subset at `dir`. */
export async function writeSubsetConfig(dir: string): Promise<void> {
  const packageDir = path.join(dir, PACKAGE_DIR)
  await fs.mkdir(path.join(packageDir, 'test'), { recursive: true })
  const files: [string, string][] = [
    ['tsconfig.json', json({ compilerOptions: ROOT_COMPILER_OPTIONS, exclude: ['dist', 'templates', 'scripts'] })],
    [
      'tsconfig.eslint.json',
      json({ extends: './tsconfig.json', include: ['**/test/**/*.ts', '**/__tests__/**/*.ts', '.eslintrc.js'] })
    ],
    [
      '.eslintrc.js',
      `const config = ${JSON.stringify(ESLINT_CONFIG, null, 2)}\n` +
        'config.parserOptions.tsconfigRootDir = __dirname\nmodule.exports = config\n'
    ],
    // The root's .prettierignore: metadata.json stays as generate:metadata-payload writes it.
    ['.prettierignore', '**/metadata.json\n'],
    [path.join(PACKAGE_DIR, 'tsconfig.build.json'), json(BUILD_TSCONFIG)],
    [path.join(PACKAGE_DIR, 'tsconfig.json'), json(PACKAGE_TSCONFIG)],
    [
      path.join(PACKAGE_DIR, 'package.json'),
      json({ name: '@segment/action-destinations', private: true, jest: JEST_CONFIG })
    ],
    [path.join(PACKAGE_DIR, 'test', 'setup-after-env.ts'), await fs.readFile(JEST_SETUP_FILE, 'utf8')]
  ]
  for (const [file, content] of files) await fs.writeFile(path.join(dir, file), content)
}
