// Prettier 2, installed under the name `prettier2` beside Prettier 3, ships no types: the part the scripts use.
declare module 'prettier2' {
  import type { Options as Prettier3Options } from 'prettier'

  export type Options = Pick<
    Prettier3Options,
    'semi' | 'singleQuote' | 'printWidth' | 'trailingComma' | 'parser' | 'filepath'
  >

  const prettier2: {
    format(source: string, options: Options): string
    check(source: string, options: Options): boolean
    resolveConfig: { sync(filePath: string): Options | null }
  }
  export default prettier2
}
