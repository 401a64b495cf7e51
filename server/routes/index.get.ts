import { defineEventHandler, setResponseHeader } from 'h3'
import { useApp } from '../utils/app'
import { renderGuide } from '../utils/guide'
import { getPublicOrigin } from '../utils/origin'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  setResponseHeader(event, 'content-type', 'text/markdown; charset=utf-8')
  return renderGuide(getPublicOrigin(event, app))
})
