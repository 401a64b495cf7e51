export type { Store, WriteOptions } from './types'
export { createEmbeddedStore } from './embedded'
export { createRedisStore } from './redis'
