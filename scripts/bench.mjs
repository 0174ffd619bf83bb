#!/usr/bin/env node
// npm run bench: runs every benchmark in scripts/bench/ in turn. Each measures trawl against the
// reference tool in the same run and prints ratios; none of this runs in the test suite.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench')
const only = process.argv.slice(2)
let failed = 0
for (const name of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue
  console.log(`\n=== ${name}`)
  const result = spawnSync(process.execPath, ['--expose-gc', join(dir, name)], {stdio: 'inherit'})
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
