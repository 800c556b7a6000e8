/**
 * What Segment's monorepo (segmentio/action-destinations) runs a destination with, restated as facts: each version
 * is the one its yarn.lock resolves for the range its package.json files ask for.
 */

/** `.nvmrc` says 22.13.1; the packages' `engines` say `^18.17 || ^22.13`; CI runs Node 22. */
export const SEGMENT_NODE = '22.13.1'

export const SEGMENT_VERSIONS: Record<string, string> = {
  // destination-actions' devDependencies: jest ^27.5.1, nock ^13.1.4, @types/jest ^27.0.0.
  jest: '27.5.1',
  nock: '13.1.4',
  '@types/jest': '27.0.2',
  // destination-actions' dependencies: @types/node ^22.13.1.
  '@types/node': '22.13.4',
  // The root's devDependencies: ts-jest ^27.0.7, typescript 5.5.4, prettier ^2.4.1, eslint ^7.25.0 and its
  // plugins and configs.
  'ts-jest': '27.1.5',
  typescript: '5.5.4',
  prettier: '2.4.1',
  eslint: '7.32.0',
  '@typescript-eslint/eslint-plugin': '5.62.0',
  '@typescript-eslint/parser': '5.62.0',
  'eslint-config-prettier': '6.15.0',
  'eslint-plugin-jest': '25.2.2',
  'eslint-plugin-lodash': '7.3.0',
  // The root's dependencies (and resolutions): actions-core's mapping kit requires liquidjs without declaring it.
  liquidjs: '10.27.2',
  // packages/cli, whose generate:types compiles the fields' JSON schema with it (^10.1.5).
  'json-schema-to-typescript': '10.1.5',
  // The root's dependencies: chance ^1.1.8, which destination-actions' test-data generator (SEGMENT_TEST_DATA)
  // draws its values from, and its types, @types/chance ^1.1.3.
  chance: '1.1.8',
  '@types/chance': '1.1.3',
  // No package there depends on zod: the yarn.lock holds only 3.22.4, for a browser-testing tool, and
  // `npm run check:zod3` covers that one. The pull request adds zod to destination-actions; a `^3` range resolves
  // to 3.25.76, the last zod 3.
  zod: '3.25.76'
}

/**
 * Where the subset's packages/destination-actions/src/lib/test-data.{js,d.ts} come from, the generator the snapshot
 * tests import: the npm registry's release of destination-actions (the registry is reachable where GitHub may not
 * be), whose tarball holds it compiled as dist/lib/test-data.js and .d.ts. The monorepo's git history shows that
 * src/lib/test-data.ts is the same file at this release's tag (@segment/action-destinations@3.497.0, 7451efe1da)
 * and at 970a17ee, the commit the other pins are read from: its last change (42598d24fb, minimum and maximum for
 * numbers) is in both, so the snapshots it seeds are the monorepo's.
 */
export const SEGMENT_TEST_DATA = {
  name: '@segment/action-destinations',
  version: '3.497.0',
  /** The two files taken from the tarball, and where they go in the subset, as in the monorepo. */
  files: ['package/dist/lib/test-data.js', 'package/dist/lib/test-data.d.ts'],
  target: 'packages/destination-actions/src/lib'
}

/**
 * What actions-core runs on, as the monorepo's yarn.lock resolves actions-core's dependency ranges (ajv ^8.18.0,
 * cross-fetch ^3.1.4, …) and ajv's fast-uri (^3.0.1): events are validated and sent with these. Fresh ranges
 * would bring fast-uri 3.1.6 or later, which refuses a destination name that is not a URI scheme as an ajv schema
 * key; the monorepo does not have it. actions-core's two workspace packages (ajv-human-errors,
 * destination-subscriptions) come at the versions npm resolves for the published actions-core: the registry has
 * no release of the monorepo's current ones.
 */
export const SEGMENT_CORE_DEPENDENCIES: Record<string, string> = {
  '@lukeed/uuid': '2.0.0',
  'aggregate-error': '3.1.0',
  ajv: '8.18.0',
  'ajv-formats': '2.1.1',
  'btoa-lite': '1.0.0',
  'cross-fetch': '3.1.4',
  dayjs: '1.10.7',
  'fast-uri': '3.1.0',
  'ts-custom-error': '3.2.0'
}

/**
 * The subset's package.json. actions-core is the version this project is built and tested with; `prettier2` is
 * the name this project's generators import Prettier 2 under, here the monorepo's 2.4.1; `node` is a Node 22
 * from the npm registry, for a machine whose own Node is not one.
 */
export function subsetPackageJson({
  actionsCore,
  nodeFromNpm
}: {
  actionsCore: string
  nodeFromNpm: boolean
}): Record<string, unknown> {
  const devDependencies: Record<string, string> = {
    '@segment/actions-core': actionsCore,
    ...SEGMENT_VERSIONS,
    prettier2: `npm:prettier@${SEGMENT_VERSIONS.prettier}`,
    ...(nodeFromNpm ? { node: SEGMENT_NODE } : {})
  }
  return {
    name: 'listrak-segment-check',
    private: true,
    description: "Segment's monorepo tooling at its own versions, to check the exported destination folder.",
    // The root package.json's Prettier options, where Prettier (and generate:types) find them.
    prettier: { semi: false, singleQuote: true, trailingComma: 'none', printWidth: 120 },
    devDependencies: Object.fromEntries(Object.entries(devDependencies).sort(([a], [b]) => a.localeCompare(b))),
    // Scoped to actions-core's tree: ESLint 7 runs on ajv 6, which must stay.
    overrides: { '@segment/actions-core': SEGMENT_CORE_DEPENDENCIES }
  }
}

/** The machine's own Node runs the gates only when it is the 22 line Segment runs, at 22.13 or later. */
export function needsNodeFromNpm(hostVersion: string): boolean {
  const [major, minor] = hostVersion.replace(/^v/, '').split('.').map(Number)
  return !(major === 22 && minor >= 13)
}

/** Packages whose installed version is not the pinned one: `name: installed (pinned)`, or `missing`. */
export function versionMismatches(pinned: Record<string, string>, installed: Record<string, string | undefined>) {
  return Object.entries(pinned)
    .filter(([name, version]) => installed[name] !== version)
    .map(([name, version]) => `${name}: ${installed[name] ?? 'missing'} (pinned ${version})`)
}
