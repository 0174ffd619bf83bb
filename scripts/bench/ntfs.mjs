#!/usr/bin/env node
// NTFS listing bench: trawl's full recursive listing (sizes and times) against
// The Sleuth Kit's `fls -r -p` on the same image, measured in the same run.
// Builds (or reuses) .bench/ntfs-100k.img: mkntfs + ntfs-3g (FUSE, needs root),
// 100 directories of 1000 small files. Run `npm run build` first (imports ../../dist).
// Usage: node scripts/bench/ntfs.mjs [--files N] [--rebuild]
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
const rounds = 3
const fls = []
const trawl = []
let flsLines = 0
let trawlResult
for (let i = 0; i < rounds; i++) {
  const f = run('fls', ['-r', '-p', image])
  flsLines = f.stdout.split('\n').filter(Boolean).length
  fls.push(f.ms)
  const t = run(process.execPath, ['--input-type=module', '-e', trawlScript])
  trawlResult = JSON.parse(t.stdout)
  trawl.push(t.ms)
}
const best = (xs) => Math.min(...xs)
console.log(`fls -r -p:        ${best(fls).toFixed(0)} ms (${flsLines} lines; best of ${rounds})`)
console.log(`trawl list -r:    ${best(trawl).toFixed(0)} ms wall, ${trawlResult.ms.toFixed(0)} ms in the listing (${trawlResult.count} entries with sizes and times)`)
console.log(`ratio trawl/fls:  ${(best(trawl) / best(fls)).toFixed(2)} (target <= 1.00)`)
console.log(`trawl peak RSS:   ${(trawlResult.maxRssKiB / 1024).toFixed(0)} MiB (target < 300 MiB)`)
