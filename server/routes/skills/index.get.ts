import { defineEventHandler } from 'h3'
import { useApp } from '../../utils/app'
import { listSkills } from '../../utils/skills/registry'

export default defineEventHandler(async () => listSkills(await useApp()))
