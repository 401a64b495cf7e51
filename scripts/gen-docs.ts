/**
 * npm run gen:docs: rewrite docs/errors.md and the README's settings table from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderErrorDocs, withSettingsTable } from './docs/render'

const root = (path: string) => resolve(process.cwd(), path)

writeFileSync(root('docs/errors.md'), renderErrorDocs())
writeFileSync(root('README.md'), withSettingsTable(readFileSync(root('README.md'), 'utf8')))
console.log('wrote docs/errors.md and the settings table of README.md')
