#!/usr/bin/env node
// Collecting photos with their perceptual hashes (PDQ): `trawl collect` as a whole process over
// folders of camera photos, with the hashes on picture threads (the default: one per spare core
// and per 2 GiB of memory), on as many threads as the machine has cores, and in the main thread
// (TRAWL_PICTURE_THREADS=0, as before picture threads); against the same collect with --no-phash,
// which is what copying and EXIF alone cost. Interleaved, medians; the records are compared.
//
//   npm run build && node scripts/bench/pictures.mjs [--copies 8] [--runs 3]
//
// Photos: the shared camera pictures of 8 megapixels (4032 x 2012 and the iPhone's 3264 x 2448), each copied
// --copies times into .bench/pictures/Users/u/Pictures.
import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, rmSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback)
const COPIES = option('copies', 8)
const RUNS = option('runs', 3)
const SHARED = process.env.TRAWL_SHARED_DIR ?? resolve(ROOT, '../shared/testdata')
const PHOTOS = ['exif/jpg_gps/67-0_length_string.jpg', 'exif/jpg_gps/iphone_hdr_YES.jpg']
const BENCH = join(ROOT, '.bench/pictures')
const BIN = join(ROOT, 'bin/run.js')

if (!existsSync(join(ROOT, 'dist/src/collect/collect.js'))) {
  console.error('run `npm run build` first')
  process.exit(2)
}
for (const photo of PHOTOS) {
  if (!existsSync(join(SHARED, photo))) {
    console.error(`needs ${join(SHARED, photo)} (../shared/testdata)`)
    process.exit(2)
  }
}
const source = join(BENCH, 'source')
const folder = join(source, 'Users/u/Pictures')
mkdirSync(folder, {recursive: true})
for (const photo of PHOTOS) for (let i = 0; i < COPIES; i++) copyFileSync(join(SHARED, photo), join(folder, `${i}-${photo.split('/').pop()}`))
const keys = join(BENCH, 'keys')
if (!existsSync(join(keys, 'key.pem'))) execFileSync(process.execPath, [BIN, 'keys', 'create', '--name', 'Bench Examiner', '--out', keys], {stdio: 'ignore'})

function collect(label, extra, env) {
  const out = join(BENCH, `${label}.zip`)
  rmSync(out, {force: true})
  const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, BIN, 'collect', '--source', source, '--allow-same-volume', '--case', 'bench', '--examiner', 'Bench', '--key', join(keys, 'key.pem'), '--cert', join(keys, 'cert.pem'), '--targets', 'user-pictures', '--out', out, ...extra], {env: {...process.env, ...env}, encoding: 'utf8'})
  if (run.status !== 0) throw new Error(`${label}: ${run.stderr}`)
  const [wall, user, sys, kb] = run.stderr.trim().split('\n').pop().split(' ').map(Number)
  const records = extra.includes('--no-phash') ? '' : execFileSync('unzip', ['-p', out, 'parsed/user-pictures.jsonl'], {encoding: 'utf8', maxBuffer: 1 << 28})
  rmSync(out, {force: true})
  return {wall, cpu: user + sys, peak: kb / 1024, records}
}

const cores = availableParallelism()
const setups = [
  ['copy and EXIF only (--no-phash)', ['--no-phash'], {}],
  ['PDQ in the main thread (TRAWL_PICTURE_THREADS=0)', [], {TRAWL_PICTURE_THREADS: '0'}],
  ['PDQ on picture threads (default)', [], {}],
  [`PDQ on ${cores} picture threads`, [], {TRAWL_PICTURE_THREADS: String(cores)}],
]
const results = setups.map(() => [])
for (let r = 0; r < RUNS; r++) setups.forEach(([, extra, env], i) => results[i].push(collect(`run-${i}`, extra, env)))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`collect of ${PHOTOS.length * COPIES} photos of 8 megapixels, ${cores} cores, ${RUNS} runs each, medians`)
const inThread = median(results[1].map((r) => r.wall))
setups.forEach(([label], i) => {
  const runs = results[i]
  const wall = median(runs.map((r) => r.wall))
  console.log(`  ${label.padEnd(50)} ${wall.toFixed(2)} s wall, ${median(runs.map((r) => r.cpu)).toFixed(2)} s CPU, peak ${Math.max(...runs.map((r) => r.peak)).toFixed(0)} MiB${i >= 2 ? `   ratio to the main thread: ${(wall / inThread).toFixed(2)}` : ''}`)
})
const same = results.slice(1).every((runs) => runs.every((r) => r.records === results[1][0].records))
console.log(`  the same records from every setup: ${same ? 'yes' : 'NO'}`)
if (!same) process.exitCode = 1
