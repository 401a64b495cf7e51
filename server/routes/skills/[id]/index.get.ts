import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../../utils/app'
import { describeSkill } from '../../../utils/skills/registry'

export default defineEventHandler(async (event) =>
  describeSkill(await useApp(), getRouterParam(event, 'id') ?? ''),
)
