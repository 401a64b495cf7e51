/**
 * npm run gen:docs: rewrite docs/errors.md and the README's generated tables from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderErrorDocs, withGeneratedTables } from './docs/render'

const root = (path: string) => resolve(process.cwd(), path)

writeFileSync(root('docs/errors.md'), renderErrorDocs())
writeFileSync(root('README.md'), withGeneratedTables(readFileSync(root('README.md'), 'utf8')))
console.log('wrote docs/errors.md and the generated tables of README.md')
