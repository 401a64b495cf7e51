import { getRequestHeader, getRouterParam, setResponseHeaders, setResponseStatus } from 'h3'
import { fail } from '../../../core/errors'
import { defineApiRoute } from '../../http/define-route'
import { readAsset } from '../../web/assets'

export default defineApiRoute(
  {
    auth: 'none',
    summary: "The pages' scripts and stylesheet.",
    returns: 'A script or a stylesheet.',
    page: true,
  },
  ({ event }) => {
    const asset = readAsset(getRouterParam(event, 'file') ?? '')
    if (!asset) return fail('NOT_FOUND')
    setResponseHeaders(event, {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
    })
    if (getRequestHeader(event, 'if-none-match') === asset.etag) {
      setResponseStatus(event, 304)
      return ''
    }
    return asset.body
  },
)
