#!/usr/bin/env node
/**
 * Second pass of `npm test`: the tests that read or write SQLite, again under the field
 * kit's Node (scripts/node-runtime.mjs) with TRAWL_SQLITE=node, so every parser test also
 * passes on the node:sqlite engine the Windows kit uses. Only those files run (about half a
 * minute): the browser, chat and hash-set parsers, the SQLite interface, and collect + verify
 * end to end (records.sqlite, the manifest's engine). The equality of the two engines'
 * records is checked in the first pass (test/sqlite/engines-equal.test.ts), which runs both.
 *
 * When the runtime cannot be obtained (no registry, no cache) this fails under CI or
 * TRAWL_REQUIRE_SHARED=1 and says it skipped otherwise.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {nodeRuntime} from './node-runtime.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FILES = ['test/browser', 'test/chat', 'test/hashset', 'test/sqlite/sqlite.test.ts', 'test/spine/e2e.test.ts']
const REPORT = '.vitest-report-node-sqlite.json'
const required = process.env.TRAWL_REQUIRE_SHARED === '1' || Boolean(process.env.CI)

let runtime
try {
  runtime = nodeRuntime()
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error)
  if (required) {
    console.error(`node:sqlite tests: the kit's Node runtime cannot be obtained: ${reason}`)
    process.exit(1)
  }
  console.log(`node:sqlite tests skipped: the kit's Node runtime cannot be obtained: ${reason}`)
  process.exit(0)
}

console.log(`\nnode:sqlite pass: ${FILES.join(' ')} under Node ${runtime.version} (${runtime.node}), TRAWL_SQLITE=node`)
const vitest = join(root, 'node_modules/vitest/vitest.mjs')
const result = spawnSync(runtime.node, [vitest, 'run', ...FILES, `--outputFile.json=${REPORT}`], {
  cwd: root,
  stdio: 'inherit',
  env: {...process.env, TRAWL_SQLITE: 'node'},
})
if (existsSync(join(root, REPORT))) {
  const r = JSON.parse(readFileSync(join(root, REPORT), 'utf8'))
  console.log(`node:sqlite pass: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)
}
process.exit(result.status ?? 1)
