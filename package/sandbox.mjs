import { createRequire } from 'node:module'

// The CommonJS build, so that an application that loads both entries gets one sandbox module, not two.
const require = createRequire(import.meta.url)

export const { startSandbox, DEFAULT_LIMITS, DEFAULT_FIXTURE } = require('../dist/package/sandbox.js')
