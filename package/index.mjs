import { createRequire } from 'node:module'

// Node's native ESM cannot load actions-core's ES module build, so applications load its CommonJS build, and
// this entry hands out the CommonJS build of the destination: one copy of actions-core for both.
const require = createRequire(import.meta.url)

export default require('../dist/package/index.js').default
