/**
 * A store whose operations are timed and whose outages are counted (oauth3_store_* metrics),
 * with the same contract: every call goes to the store it wraps, unchanged.
 */
import { isApiError } from '../../core/errors'
import { storeErrors, storeSeconds } from '../telemetry/metrics'
import type { Store } from './types'

const TIMED = [
  'get',
  'set',
  'remove',
  'keys',
  'setMany',
  'removeMany',
  'createIfAbsent',
  'update',
  'increment',
  'transact',
  'ping',
] as const

export function instrumentStore(store: Store): Store {
  const timed: Partial<Store> = {}
  for (const operation of TIMED) {
    const original = (store[operation] as (...args: unknown[]) => Promise<unknown>).bind(store)
    const observe = storeSeconds.child([operation])
    const wrapped = async (...args: unknown[]) => {
      const started = performance.now()
      try {
        return await original(...args)
      } catch (error) {
        if (isApiError(error) && error.code === 'STORE_UNAVAILABLE') storeErrors.inc([operation])
        throw error
      } finally {
        observe.observe((performance.now() - started) / 1000)
      }
    }
    Object.assign(timed, { [operation]: wrapped })
  }
  return Object.assign(Object.create(store) as Store, timed)
}
