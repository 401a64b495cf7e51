import { defineEventHandler } from 'h3'
import { useApp } from '../utils/app'
import { buildOpenApi } from '../utils/openapi'
import { getPublicOrigin } from '../utils/origin'

export default defineEventHandler(async (event) =>
  buildOpenApi(getPublicOrigin(event, await useApp())),
)
