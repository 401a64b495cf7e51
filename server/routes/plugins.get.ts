import { defineEventHandler } from 'h3'
import { CAPABILITY_TYPES } from '../utils/capabilities'

export default defineEventHandler(() => ({
  plugins: Object.entries(CAPABILITY_TYPES).map(([type, definition]) => ({
    type,
    description: definition.description,
    schema: definition.schema,
  })),
}))
