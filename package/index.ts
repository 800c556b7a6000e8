export { default, DESTINATION_NAME } from '../runtime/destination'
export type { Settings } from '../runtime/destination'
