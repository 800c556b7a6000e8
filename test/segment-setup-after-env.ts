import nock from 'nock'

/**
 * What destination-actions' test/setup-after-env.ts does around every test file in Segment's monorepo, so that the
 * tests of test/segment/ run here as they run there: no interceptor outlives a test, only loopback is reached for
 * real, and nock lets go of http at the end. jest.config.js gives it to test/segment/ alone; `npm run
 * check:segment` writes this file into its subset of the monorepo.
 */

beforeEach(() => {
  nock.cleanAll()
})

beforeAll(() => {
  nock.disableNetConnect()
  nock.enableNetConnect('127.0.0.1')
  if (!nock.isActive()) nock.activate()
})

afterAll(() => {
  nock.restore()
  nock.enableNetConnect()
  nock.cleanAll()
})
