import { defineEventHandler } from 'h3'
import { useApp } from '../utils/app'

export default defineEventHandler(async () => {
  const app = await useApp()
  return { status: 'ok', tee: 'none', store: app.store.kind, long_polls: app.notifier.waiting }
})
