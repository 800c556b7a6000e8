const base = require('./jest.config')

/**
 * The destination's tests with zod 3.22 in place of zod 4 (`npm run check:zod3`): Segment's monorepo installs
 * zod 3.22.4 today, and src/ must work with either. test/segment/ keeps its project (and its setup); of the other
 * tests, test/destination/ runs.
 */
module.exports = {
  ...base,
  projects: base.projects.map((project) => ({
    ...project,
    ...(project.displayName === 'segment' ? {} : { roots: ['<rootDir>/test/destination'] }),
    moduleNameMapper: { ...project.moduleNameMapper, '^zod$': '<rootDir>/node_modules/zod3' }
  }))
}
