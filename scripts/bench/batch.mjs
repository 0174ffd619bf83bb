#!/usr/bin/env node
// trawl batch throughput: items per minute with --jobs 1 and --jobs 2 on the same set of
// images, and peak memory: the sum of the resident sizes of the batch process and all its
// workers, sampled with ps every 50 ms (what the machine must hold at once), and the
// largest single worker.
//
//   npm run build && node scripts/bench/batch.mjs [--copies 3] [--jobs 1,2]
//
// The set is fixtures/batch (four good images and one truncated E01) copied --copies
// times under distinct names into .bench/batch/ (gitignored).
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gunzipSync} from 'node:zlib'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const copies = Number(option('copies', '3'))
const jobsList = option('jobs', '1,2').split(',').map(Number)
const bench = join(root, '.bench/batch')
const evidence = join(bench, 'evidence')
const bin = join(root, 'bin/run.js')

rmSync(bench, {recursive: true, force: true})
mkdirSync(evidence, {recursive: true})
const fixtures = join(root, 'fixtures/batch')
for (let c = 1; c <= copies; c++) {
  for (const name of readdirSync(fixtures).filter((n) => n.endsWith('.gz'))) {
    writeFileSync(join(evidence, `c${c}-${name.slice(0, -3)}`), gunzipSync(readFileSync(join(fixtures, name))))
  }
}
const env = {...process.env, TRAWL_BENCH_PASS: 'bench'}
const keys = spawnSync(process.execPath, [bin, 'keys', 'create', '--name', 'Bench', '--out', join(bench, 'keys'), '--passphrase-env', 'TRAWL_BENCH_PASS'], {env})
if (keys.status !== 0) {
  console.error(`keys create failed (run npm run build first): ${keys.stderr}`)
  process.exit(2)
}

/** RSS (KiB) of `pid` and all its descendants, from one ps listing. */
function treeRss(pid) {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], {encoding: 'utf8'})
  const rows = ps.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number))
  const children = new Map()
  for (const [p, pp] of rows) children.set(pp, [...(children.get(pp) ?? []), p])
  const rss = new Map(rows.map(([p, , r]) => [p, r]))
  let total = 0
  let largestChild = 0
  const stack = [pid]
  while (stack.length > 0) {
    const p = stack.pop()
    total += rss.get(p) ?? 0
    if (p !== pid) largestChild = Math.max(largestChild, rss.get(p) ?? 0)
    stack.push(...(children.get(p) ?? []))
  }
  return {total, largestChild, parent: rss.get(pid) ?? 0}
}

async function run(jobs) {
  const out = join(bench, `out-jobs-${jobs}`)
  const t0 = process.hrtime.bigint()
  const child = spawn(process.execPath, [bin, 'batch', '--out', out, '--case', 'bench', '--examiner', 'Bench', '--key', join(bench, 'keys/key.pem'), '--cert', join(bench, 'keys/cert.pem'), '--passphrase-env', 'TRAWL_BENCH_PASS', '--jobs', String(jobs), '--json', join(evidence, '*')], {env, stdio: ['ignore', 'pipe', 'ignore']})
  let stdout = ''
  child.stdout.on('data', (d) => (stdout += d))
  const peak = {total: 0, largestChild: 0, parent: 0}
  const sampler = setInterval(() => {
    const s = treeRss(child.pid)
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], s[k])
  }, 50)
  const code = await new Promise((r) => child.on('close', r))
  clearInterval(sampler)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const summary = JSON.parse(stdout)
  return {jobs, code, seconds, items: summary.items.length, totals: summary.totals, perMinute: (summary.items.length / seconds) * 60, peak}
}

console.log(`trawl batch: ${copies * 5} items (${copies * 4} good images + ${copies} truncated E01), ${availableParallelism()} cores`)
const results = []
for (const jobs of jobsList) {
  const r = await run(jobs)
  results.push(r)
  console.log(
    `--jobs ${jobs}: ${r.items} items in ${r.seconds.toFixed(1)} s = ${r.perMinute.toFixed(1)} items/min (exit ${r.code}, ${r.totals.ok} ok, ${r.totals.failed} failed); ` +
      `peak memory ${(r.peak.total / 1024).toFixed(0)} MiB (batch ${(r.peak.parent / 1024).toFixed(0)} MiB + workers; largest worker ${(r.peak.largestChild / 1024).toFixed(0)} MiB)`,
  )
}
if (results.length >= 2) {
  const [a, b] = results
  console.log(`ratio --jobs ${b.jobs} / --jobs ${a.jobs}: ${(b.perMinute / a.perMinute).toFixed(2)}x items per minute, ${(b.peak.total / a.peak.total).toFixed(2)}x peak memory`)
}
