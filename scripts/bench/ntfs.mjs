#!/usr/bin/env node
// NTFS listing bench: trawl's full recursive listing (sizes and times) against
// The Sleuth Kit's `fls -r -p` on the same image, measured in the same run.
// Builds (or reuses) .bench/ntfs-100k.img: mkntfs + ntfs-3g (FUSE, needs root),
// 100 directories of 1000 small files. Run `npm run build` first (imports ../../dist).
// Also whole processes as a user starts them: `trawl image ls IMAGE -r` (text and --json)
// against `fls -r -p IMAGE`, interleaved, each with its output read through a pipe;
// medians of the rounds, with wall, CPU and peak memory from /usr/bin/time.
// Usage: node scripts/bench/ntfs.mjs [--files N] [--rebuild] [--rounds 3]
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const files = Number(args[args.indexOf('--files') + 1] || 0) || 100_000
const perDir = 1000
const benchDir = join(ROOT, '.bench')
const image = join(benchDir, `ntfs-${Math.round(files / 1000)}k.img`)
const mnt = join(benchDir, 'ntfs-mnt')

function buildImage() {
  mkdirSync(mnt, {recursive: true})
  rmSync(image, {force: true})
  // about 1.3 KiB of MFT per file plus index records; small files stay resident
  const bytes = Math.max(256, Math.ceil((files * 2600) / 2 ** 20) + 64) * 2 ** 20
  execFileSync('truncate', ['-s', String(bytes), image])
  execFileSync('mkntfs', ['-F', '-Q', '-q', '-c', '4096', '-L', 'BENCH', image], {stdio: 'ignore'})
  execFileSync('ntfs-3g', [image, mnt])
  try {
    const started = Date.now()
    for (let d = 0; d * perDir < files; d++) {
      const dir = join(mnt, `dir-${String(d).padStart(4, '0')}`)
      mkdirSync(dir)
      for (let f = 0; f < perDir && d * perDir + f < files; f++) writeFileSync(join(dir, `file-${f}.txt`), `content of ${d}/${f}\n`)
    }
    console.log(`built ${image}: ${files} files in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    execFileSync('umount', [mnt])
  }
}

if (args.includes('--rebuild') || !existsSync(image)) buildImage()
else console.log(`reusing ${image}`)

// trawl: a fresh process, so its peak memory is the listing's own
const trawlScript = `
import {FileByteSource} from ${JSON.stringify(join(ROOT, 'dist/src/image/byte-source.js'))}
import {ntfsDriver} from ${JSON.stringify(join(ROOT, 'dist/src/ntfs/index.js'))}
const started = performance.now()
const source = new FileByteSource(${JSON.stringify(image)})
const fs = ntfsDriver.open(source)
let count = 0, bytes = 0, timed = 0
async function walk(dir) {
  for (const entry of await fs.list(dir)) {
    count++
    bytes += entry.size
    if (entry.times.modified && entry.fileNameTimes?.length) timed++
    if (entry.kind === 'directory') await walk(entry.path)
  }
}
await walk('')
const ms = performance.now() - started
console.log(JSON.stringify({count, bytes, timed, ms, maxRssKiB: process.resourceUsage().maxRSS}))
`
function run(command, argv, options = {}) {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, argv, {maxBuffer: 1 << 30, ...options})
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`)
  return {ms, stdout: result.stdout?.toString() ?? ''}
}

// warm the page cache once so neither side pays for the first read
run('cat', [image], {stdio: ['ignore', 'ignore', 'pipe']})
const rounds = Number(args[args.indexOf('--rounds') + 1] || 0) || 3
const fls = []
const trawl = []
let flsLines = 0
let trawlResult
let bestTrawl = Infinity
for (let i = 0; i < rounds; i++) {
  const f = run('fls', ['-r', '-p', image])
  flsLines = f.stdout.split('\n').filter(Boolean).length
  fls.push(f.ms)
  const t = run(process.execPath, ['--input-type=module', '-e', trawlScript])
  const result = JSON.parse(t.stdout)
  if (t.ms < bestTrawl) {
    bestTrawl = t.ms
    trawlResult = {...result, maxRssKiB: Math.max(result.maxRssKiB, trawlResult?.maxRssKiB ?? 0)}
  } else {
    trawlResult.maxRssKiB = Math.max(trawlResult.maxRssKiB, result.maxRssKiB)
  }
  trawl.push(t.ms)
}
const best = (xs) => Math.min(...xs)
console.log(`fls -r -p:        ${best(fls).toFixed(0)} ms (${flsLines} lines; best of ${rounds})`)
console.log(`trawl list -r:    ${best(trawl).toFixed(0)} ms wall, ${trawlResult.ms.toFixed(0)} ms in the listing (${trawlResult.count} entries with sizes and times)`)
console.log(`ratio trawl/fls:  ${(best(trawl) / best(fls)).toFixed(2)} (target <= 1.00)`)
console.log(`trawl peak RSS:   ${(trawlResult.maxRssKiB / 1024).toFixed(0)} MiB, highest of ${rounds} runs (target < 300 MiB)`)

// whole processes: the command as a user runs it, output through a pipe
function timedProcess(command, argv) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', command, ...argv], {maxBuffer: 2 ** 31})
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`)
  const [wall, user, sys, kb] = result.stderr.toString().trim().split('\n').pop().split(' ').map(Number)
  // counted in the bytes: the JSON of a million files is longer than a string can be
  let lines = 0
  for (let at = result.stdout.indexOf(10); at !== -1; at = result.stdout.indexOf(10, at + 1)) lines++
  return {wall, cpu: user + sys, peakMiB: kb / 1024, bytes: result.stdout.length, lines}
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const BIN = join(ROOT, 'bin/run.js')
const whole = {fls: [], text: [], json: []}
for (let i = 0; i < rounds; i++) {
  whole.fls.push(timedProcess('fls', ['-r', '-p', image]))
  whole.text.push(timedProcess(process.execPath, [BIN, 'image', 'ls', image, '-r']))
  whole.json.push(timedProcess(process.execPath, [BIN, 'image', 'ls', image, '-r', '--json']))
}
const summary = (runs) => ({wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), peak: Math.max(...runs.map((r) => r.peakMiB)), lines: runs[0].lines})
const f = summary(whole.fls)
console.log(`\nwhole processes (median of ${rounds}, output through a pipe):`)
console.log(`fls -r -p:                 ${f.wall.toFixed(2)} s wall, ${f.cpu.toFixed(2)} s CPU, ${f.lines} lines   runs: ${whole.fls.map((r) => r.wall.toFixed(2)).join(' ')}`)
for (const [label, runs] of [['trawl image ls -r', whole.text], ['trawl image ls -r --json', whole.json]]) {
  const t = summary(runs)
  console.log(`${label.padEnd(26)} ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU, peak ${t.peak.toFixed(0)} MiB   runs: ${runs.map((r) => r.wall.toFixed(2)).join(' ')}`)
  console.log(`  ratio to fls: ${(t.wall / f.wall).toFixed(2)} wall, ${(t.cpu / f.cpu).toFixed(2)} CPU (target <= 1.00; peak < 300 MiB)`)
}
