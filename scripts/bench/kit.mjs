#!/usr/bin/env node
// Field kit start-up: `trawl --version` through the kit's launcher (sh trawl.sh: whole process, with the
// check of the kit against its signed manifest) against `node -e 0` of the same runtime, in the same run;
// also the start-up check alone and a full `trawl kit verify`. Builds a linux-x64 kit into a scratch folder
// (runtime cached in ~/.cache/trawl-kit). Needs `npm run build`.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const {buildKit} = await import(join(root, 'dist/src/kit/build.js'))
const dir = mkdtempSync(join(tmpdir(), 'trawl-bench-kit-'))
const stick = join(dir, 'stick')
const RUNS = 9

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Wall time of a whole process, median of RUNS (one warm-up run first: the page cache, not the stick). */
function timeProcess(command, args) {
  spawnSync(command, args, {stdio: 'ignore'})
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint()
    const result = spawnSync(command, args, {stdio: ['ignore', 'ignore', 'pipe']})
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
  }
  return median(times)
}

try {
  const t0 = Date.now()
  const built = buildKit({out: stick, platforms: ['linux-x64']})
  console.log(`kit built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${built.files} files, ${(built.bytes / 2 ** 20).toFixed(1)} MiB`)
  const node = join(stick, 'kit/runtime/linux-x64/node')
  const reference = timeProcess(node, ['-e', '0'])
  const version = timeProcess('sh', [join(stick, 'trawl.sh'), '--version'])
  const check = `const {checkKitAtStart} = await import(${JSON.stringify(join(stick, 'kit/app/dist/src/kit/identity.js'))});
const t = performance.now(); const r = checkKitAtStart(${JSON.stringify(stick)}); const ms = performance.now() - t;
if (!r.valid) throw new Error(r.problems.join('; ')); console.log(JSON.stringify({ms, hashed: r.files.hashed, listed: r.files.listed, bytes: r.files.bytes}))`
  const checks = []
  let facts
  for (let i = 0; i < RUNS; i++) {
    const result = spawnSync(node, ['--input-type=module', '-e', check], {encoding: 'utf8'})
    if (result.status !== 0) throw new Error(result.stderr)
    facts = JSON.parse(result.stdout)
    checks.push(facts.ms)
  }
  const verify = timeProcess('sh', [join(stick, 'trawl.sh'), 'kit', 'verify'])
  console.log(`node -e 0 (kit runtime ${process.platform}, reference)   ${reference.toFixed(0).padStart(6)} ms`)
  console.log(`sh trawl.sh --version (whole process)        ${version.toFixed(0).padStart(6)} ms   ${(version / reference).toFixed(2)} x node -e 0`)
  console.log(`  of which the start-up kit check            ${median(checks).toFixed(0).padStart(6)} ms   (signature, ${facts.listed} sizes, SHA-256 of ${facts.hashed} files, ${(facts.bytes / 2 ** 20).toFixed(1)} MiB)`)
  console.log(`sh trawl.sh kit verify (every file hashed)   ${verify.toFixed(0).padStart(6)} ms`)
  console.log(`medians of ${RUNS} runs, page cache warm; from a USB 2 stick the first start reads the runtime (~90 MB) at the stick's speed`)
} finally {
  rmSync(dir, {recursive: true, force: true})
}
