const base = require('./jest.config')

/**
 * The destination's tests with zod 3.22 in place of zod 4 (`npm run check:zod3`): Segment's monorepo installs
 * zod 3.22.4 today, and src/ must work with either.
 */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/segment', '<rootDir>/test/destination'],
  moduleNameMapper: { ...base.moduleNameMapper, '^zod$': '<rootDir>/node_modules/zod3' }
}
