export type { Store, TransactionStep, WriteOptions } from './types'
export { createEmbeddedStore } from './embedded'
export { createRedisStore } from './redis'
