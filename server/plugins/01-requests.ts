/**
 * Each request's id, its `X-Request-Id` header and its log line when the answer ends
 * (telemetry/requests.ts).
 */
import { defineNitroPlugin } from 'nitropack/runtime'
import { beginRequest } from '../telemetry/requests'

export default defineNitroPlugin((nitro) => {
  nitro.hooks.hook('request', beginRequest)
})
