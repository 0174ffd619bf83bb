#!/usr/bin/env node
// Collection throughput of `trawl collect` (a whole process, started as a user starts it)
// against the machine's hashing limit, measured interleaved in the same run.
//
//   npm run build && node scripts/bench/collect.mjs [--runs 3] [--big 8] [--big-mib 128] [--small 100000] [--only big|small]
//
// Sources, generated into .bench/collect/ (gitignored) and reused:
//   big:   8 pictures of 128 MiB: a real JPEG head followed by random bytes (incompressible,
//          as phone pictures and videos are), under Users/u/Pictures: the `exif` parser
//          runs on each, as in a real triage.
//   small: 100 000 files of 4 KiB of random bytes in 100 folders, collected by a
//          definition of every file under Users/ (no parser).
// The limit: node:crypto hashing the same bytes in memory with SHA-256, SHA-1 and MD5,
// spread over threads as trawl spreads them (MD5 on one thread, SHA-256 + SHA-1 on
// another), per file for the small set. Also shown: the same with what a bundle needs on
// top of the three digests (CRC-32 and the SHA-256 of the archive, on the main thread),
// and md5sum / sha1sum over the files, for reference.
// Ratio = trawl's throughput / the limit's (>= 0.9 is the target).
import {spawnSync} from 'node:child_process'
import {randomFillSync} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync} from 'node:fs'
import {cpus} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : args[at + 1]
}
const RUNS = Number(option('runs', 3))
const BIG = Number(option('big', 8))
const BIG_MIB = Number(option('big-mib', 128))
const SMALL = Number(option('small', 100_000))
const ONLY = option('only', '')
const SHARED = process.env.TRAWL_SHARED_DIR ?? resolve(ROOT, '../shared/testdata')
const BENCH = join(ROOT, '.bench/collect')
const BIN = join(ROOT, 'bin/run.js')
const MiB = 1 << 20

if (!existsSync(join(ROOT, 'dist/src/collect/collect.js'))) {
  console.error('run `npm run build` first')
  process.exit(2)
}

function prepareBig() {
  const dir = join(BENCH, `big-${BIG}x${BIG_MIB}`, 'Users/u/Pictures')
  mkdirSync(dir, {recursive: true})
  const jpegPath = join(SHARED, 'exif/jpg_gps/DSCN0010.jpg')
  const head = existsSync(jpegPath) ? readFileSync(jpegPath) : Buffer.from('ffd8ffe000104a464946000101', 'hex')
  const block = Buffer.alloc(4 * MiB)
  for (let i = 0; i < BIG; i++) {
    const path = join(dir, `IMG_${String(i).padStart(4, '0')}.jpg`)
    if (existsSync(path) && statSync(path).size === BIG_MIB * MiB) continue
    const fd = openSync(path, 'w')
    writeSync(fd, head)
    for (let left = BIG_MIB * MiB - head.length; left > 0; left -= block.length) {
      randomFillSync(block)
      writeSync(fd, block, 0, Math.min(left, block.length))
    }
    closeSync(fd)
  }
  return {source: join(BENCH, `big-${BIG}x${BIG_MIB}`), files: BIG, bytes: BIG * BIG_MIB * MiB, targets: 'user-pictures', definitions: undefined}
}

function prepareSmall() {
  const source = join(BENCH, `small-${SMALL}`)
  const marker = join(source, '.complete')
  if (!existsSync(marker)) {
    rmSync(source, {recursive: true, force: true})
    const block = Buffer.alloc(4096)
    for (let i = 0; i < SMALL; i++) {
      const dir = join(source, 'Users/u/Documents', `folder-${String(Math.floor(i / 1000)).padStart(3, '0')}`)
      if (i % 1000 === 0) mkdirSync(dir, {recursive: true})
      randomFillSync(block)
      writeFileSync(join(dir, `file-${String(i).padStart(6, '0')}.bin`), block)
    }
    writeFileSync(marker, '')
  }
  const definitions = join(BENCH, 'definitions-small')
  mkdirSync(definitions, {recursive: true})
  writeFileSync(join(definitions, 'all.yaml'), '- id: user-files\n  name: Every user file\n  category: system\n  description: every file under Users (bench)\n  paths: ["Users/**"]\n')
  return {source, files: SMALL, bytes: SMALL * 4096, targets: undefined, definitions}
}

function keys() {
  const dir = join(BENCH, 'keys')
  if (!existsSync(join(dir, 'key.pem'))) {
    const result = spawnSync(process.execPath, [BIN, 'keys', 'create', '--name', 'Bench Examiner', '--out', dir], {encoding: 'utf8'})
    if (result.status !== 0) throw new Error(result.stderr)
  }
  return ['--key', join(dir, 'key.pem'), '--cert', join(dir, 'cert.pem')]
}

/** Runs a command under /usr/bin/time: wall, user+system CPU and peak memory of the whole process. */
function timed(command, commandArgs) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', command, ...commandArgs], {encoding: 'utf8', maxBuffer: 64 * MiB})
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.slice(-2000)}`)
  const [wall, user, sys, kb] = result.stderr.trim().split('\n').pop().split(' ').map(Number)
  return {wall, cpu: user + sys, peakMiB: kb / 1024}
}

function runTrawl(set, signArgs) {
  const out = join(BENCH, 'out.zip')
  rmSync(out, {force: true})
  const extra = [...(set.targets ? ['--targets', set.targets] : []), ...(set.definitions ? ['--definitions', set.definitions] : [])]
  const t = timed(process.execPath, [BIN, 'collect', '--source', set.source, '--allow-same-volume', '--case', 'bench', '--examiner', 'Bench', ...signArgs, ...extra, '--out', out])
  const bundleBytes = statSync(out).size
  rmSync(out, {force: true})
  return {...t, bundleBytes}
}

/** Every file of the set, in memory, in one shared buffer. */
function loadSet(set) {
  const paths = []
  const walk = (dir) => {
    for (const name of readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, name.name)
      if (name.isDirectory()) walk(full)
      else if (!name.name.startsWith('.')) paths.push(full)
    }
  }
  walk(join(set.source, 'Users'))
  const memory = new SharedArrayBuffer(set.bytes)
  const view = Buffer.from(memory)
  const lengths = []
  let at = 0
  for (const path of paths) {
    const data = readFileSync(path)
    data.copy(view, at)
    at += data.length
    lengths.push(data.length)
  }
  return {memory, lengths}
}

const LIMIT_WORKER = `
const {parentPort, workerData} = require('node:worker_threads')
const {createHash} = require('node:crypto')
const {crc32} = require('node:zlib')
const memory = new Uint8Array(workerData.memory)
parentPort.on('message', ({algorithms, lengths, crc}) => {
  const start = process.hrtime.bigint()
  let at = 0
  let c = 0
  for (const length of lengths) {
    const bytes = memory.subarray(at, at + length)
    for (const a of algorithms) createHash(a).update(bytes).digest('hex')
    if (crc) c = crc32(bytes, c)
    at += length
  }
  parentPort.postMessage(Number(process.hrtime.bigint() - start) / 1e9)
})
`

/** Wall time of hashing the loaded set with the given thread groups at once (all groups start together). */
async function hashLimit(loaded, groups) {
  const workers = groups.map(() => new Worker(LIMIT_WORKER, {eval: true, workerData: {memory: loaded.memory}}))
  await new Promise((r) => setTimeout(r, 200)) // let the threads start
  const start = process.hrtime.bigint()
  await Promise.all(workers.map((w, i) => new Promise((resolve) => {
    w.once('message', resolve)
    w.postMessage({...groups[i], lengths: loaded.lengths})
  })))
  const wall = Number(process.hrtime.bigint() - start) / 1e9
  await Promise.all(workers.map((w) => w.terminate()))
  return wall
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const mbps = (bytes, seconds) => `${(bytes / 1e6 / seconds).toFixed(0)} MB/s`

const cpuModel = cpus()[0]?.model ?? 'unknown'
console.log(`collect bench: ${cpus().length} CPUs (${cpuModel}), Node ${process.version}, ${RUNS} runs each, medians`)
const signArgs = keys()
const sets = []
if (ONLY !== 'small') sets.push(['big', prepareBig()])
if (ONLY !== 'big') sets.push(['small', prepareSmall()])
for (const [label, set] of sets) {
  const loaded = loadSet(set)
  const rows = {trawl: [], trawlCpu: [], peak: [], limit: [], bundleLimit: [], md5sum: [], sha1sum: []}
  let bundleBytes = 0
  const fileList = []
  const walk = (dir) => {
    for (const name of readdirSync(dir, {withFileTypes: true})) {
      const full = join(dir, name.name)
      if (name.isDirectory()) walk(full)
      else if (!name.name.startsWith('.')) fileList.push(full)
    }
  }
  walk(join(set.source, 'Users'))
  for (let run = 0; run < RUNS; run++) {
    // interleaved: limit, trawl, stock tools, in every run
    rows.limit.push(await hashLimit(loaded, [{algorithms: ['md5']}, {algorithms: ['sha256', 'sha1']}]))
    rows.bundleLimit.push(await hashLimit(loaded, [{algorithms: ['md5']}, {algorithms: ['sha256', 'sha1']}, {algorithms: ['sha256'], crc: true}]))
    const t = runTrawl(set, signArgs)
    rows.trawl.push(t.wall)
    rows.trawlCpu.push(t.cpu)
    rows.peak.push(t.peakMiB)
    bundleBytes = t.bundleBytes
    if (label === 'big') {
      rows.md5sum.push(timed('md5sum', fileList).wall)
      rows.sha1sum.push(timed('sha1sum', fileList).wall)
    }
  }
  const limit = median(rows.limit)
  const trawl = median(rows.trawl)
  const bundleLimit = median(rows.bundleLimit)
  console.log(`\n${label}: ${set.files} files, ${(set.bytes / MiB).toFixed(0)} MiB; bundle ${(bundleBytes / MiB).toFixed(0)} MiB`)
  console.log(`  hashing limit (SHA-256+SHA-1+MD5 in memory, 2 threads): ${limit.toFixed(2)} s, ${mbps(set.bytes, limit)}   runs: ${rows.limit.map((v) => v.toFixed(2)).join(' ')}`)
  console.log(`  bundle limit (+ CRC-32 and archive SHA-256, 3 threads): ${bundleLimit.toFixed(2)} s, ${mbps(set.bytes, bundleLimit)}   runs: ${rows.bundleLimit.map((v) => v.toFixed(2)).join(' ')}`)
  console.log(`  trawl collect (whole process): ${trawl.toFixed(2)} s, ${mbps(set.bytes, trawl)}, CPU ${median(rows.trawlCpu).toFixed(2)} s, peak ${median(rows.peak).toFixed(0)} MiB   runs: ${rows.trawl.map((v) => v.toFixed(2)).join(' ')}`)
  if (rows.md5sum.length) console.log(`  md5sum ${median(rows.md5sum).toFixed(2)} s, sha1sum ${median(rows.sha1sum).toFixed(2)} s (reference)`)
  console.log(`  ratio trawl / hashing limit (throughput): ${(limit / trawl).toFixed(2)}   trawl / bundle limit: ${(bundleLimit / trawl).toFixed(2)}`)
}
