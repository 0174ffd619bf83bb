#!/usr/bin/env node
// How much of a disk image a triage collection reads: `collect` from an NTFS image of a
// Windows-like volume should read only the MFT, the directories on the artifact paths and
// the files it matches, not the volume. Bytes read are counted where every image byte is
// read (FileByteSource.bytesRead) and reported against the image size (target < 5 %).
//
//   npm run build && node scripts/bench/triage.mjs [--files 100000] [--filler-mib 900] [--rebuild] [--rounds 3]
//
// Both ways of reading the volume are measured: the default (one pass over the whole $MFT) and
// --triage (directories through their $I30 indexes), and their copies compared byte for byte.
//
// The volume (.bench/triage.img, built with mkntfs + ntfs-3g, needs root): the sample
// Windows tree of fixtures/sample/tree (users, browsers, chats, pictures, hives), 100 000
// small files in 100 folders under ProgramData, and one large file of random bytes
// (pagefile.sys) that no definition matches, to about 1.2 GB.
import {execFileSync, spawnSync} from 'node:child_process'
import {randomFillSync} from 'node:crypto'
import {closeSync, cpSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(args[at + 1])
}
const FILES = option('files', 100_000)
const FILLER_MIB = option('filler-mib', 900)
const BENCH = join(ROOT, '.bench')
const image = join(BENCH, 'triage.img')
const mnt = join(BENCH, 'triage-mnt')

function build() {
  mkdirSync(mnt, {recursive: true})
  rmSync(image, {force: true})
  const bytes = (FILLER_MIB + Math.ceil((FILES * 2600) / 2 ** 20) + 128) * 2 ** 20
  execFileSync('truncate', ['-s', String(bytes), image])
  execFileSync('mkntfs', ['-F', '-Q', '-q', '-c', '4096', '-L', 'TRIAGE', image], {stdio: 'ignore'})
  execFileSync('ntfs-3g', [image, mnt])
  try {
    const started = Date.now()
    cpSync(join(ROOT, 'fixtures/sample/tree'), mnt, {recursive: true})
    for (let d = 0; d * 1000 < FILES; d++) {
      const dir = join(mnt, 'ProgramData', 'Bulk', `dir-${String(d).padStart(4, '0')}`)
      mkdirSync(dir, {recursive: true})
      for (let f = 0; f < 1000 && d * 1000 + f < FILES; f++) writeFileSync(join(dir, `file-${f}.txt`), `content of ${d}/${f}\n`)
    }
    const fd = openSync(join(mnt, 'pagefile.sys'), 'w')
    const block = Buffer.alloc(4 << 20)
    for (let left = FILLER_MIB * 2 ** 20; left > 0; left -= block.length) writeSync(fd, randomFillSync(block), 0, Math.min(left, block.length))
    closeSync(fd)
    console.log(`built ${image}: sample tree + ${FILES} files + ${FILLER_MIB} MiB filler in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    execFileSync('umount', [mnt])
  }
}

if (!existsSync(join(ROOT, 'dist/src/collect/collect.js'))) {
  console.error('run `npm run build` first')
  process.exit(2)
}
if (args.includes('--rebuild') || !existsSync(image)) build()
else console.log(`reusing ${image}`)

const {collect} = await import(join(ROOT, 'dist/src/collect/collect.js'))
const {FileByteSource} = await import(join(ROOT, 'dist/src/image/byte-source.js'))
const {createKeys} = await import(join(ROOT, 'dist/src/bundle/keys.js'))
const keysDir = join(BENCH, 'triage-keys')
if (!existsSync(join(keysDir, 'key.pem'))) createKeys({name: 'Bench Examiner', outDir: keysDir})
const size = statSync(image).size
const signer = {key: join(keysDir, 'key.pem'), cert: join(keysDir, 'cert.pem')}

/** One collect in this process, bytes counted where every image byte is read; the copies it made, by path and SHA-256. */
async function measured(triage) {
  const out = join(BENCH, `triage-out${triage ? '-triage' : ''}.zip`)
  rmSync(out, {force: true})
  FileByteSource.bytesRead = 0
  const started = Date.now()
  const result = await collect({source: image, out, caseId: 'triage-bench', examiner: 'Bench', signer, triage})
  const seconds = (Date.now() - started) / 1000
  const read = FileByteSource.bytesRead
  rmSync(out, {force: true})
  const copies = result.manifest.entries.filter((e) => e.kind === 'copy')
  return {read, seconds, result, copies, key: copies.map((e) => `${e.path} ${e.sha256}`).sort().join('\n')}
}

const full = await measured(false)
const triage = await measured(true)
const copiedBytes = full.copies.reduce((a, e) => a + e.size, 0)
console.log(`collect from ${image} (${(size / 2 ** 20).toFixed(0)} MiB): ${full.copies.length} files (${(copiedBytes / 2 ** 20).toFixed(1)} MiB) collected, complete: ${full.result.complete}`)
const pct = (read) => `${(read / 2 ** 20).toFixed(1)} MiB = ${((100 * read) / size).toFixed(2)} % of the image`
console.log(`  collect (the $MFT pass):            ${pct(full.read)}, ${full.seconds.toFixed(1)} s in this process`)
console.log(`  collect --triage ($I30 indexes):    ${pct(triage.read)}, ${triage.seconds.toFixed(1)} s in this process (target < 5 %)`)
console.log(`  the same copies, byte for byte:     ${triage.key === full.key ? 'yes' : 'NO'} (${triage.copies.length} and ${full.copies.length} files, compared by path and SHA-256)`)
if (triage.key !== full.key) process.exitCode = 1

// where the full collect's bytes go: the NTFS reader's first listing makes one pass over the whole $MFT
// (the directory tree, src/ntfs/mft-tree.ts); measured apart by opening the image again
const {openSource} = await import(join(ROOT, 'dist/src/source/open.js'))
const {chooseVolume} = await import(join(ROOT, 'dist/src/image/listing.js'))
const again = await openSource(image)
try {
  const volume = chooseVolume(again)
  FileByteSource.bytesRead = 0
  await volume.fs.list('')
  const pass = FileByteSource.bytesRead
  console.log(`  of the full collect, the $MFT pass: ${(pass / 2 ** 20).toFixed(1)} MiB (${((100 * pass) / size).toFixed(2)} % of the image); the rest: ${((full.read - pass) / 2 ** 20).toFixed(1)} MiB`)
} finally {
  await again.close()
}

// whole processes, as a user starts them, interleaved
const rounds = option('rounds', 3)
const BIN = join(ROOT, 'bin/run.js')
const env = process.env
function timed(extra) {
  const out = join(BENCH, 'triage-cli.zip')
  rmSync(out, {force: true})
  const started = process.hrtime.bigint()
  const run = spawnSync(process.execPath, [BIN, 'collect', '--source', image, '--out', out, '--case', 'triage-bench', '--examiner', 'Bench', '--key', signer.key, '--cert', signer.cert, '--allow-same-volume', ...extra], {env, stdio: ['ignore', 'ignore', 'pipe']})
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  rmSync(out, {force: true})
  if (run.status !== 0) throw new Error(`trawl collect failed: ${run.stderr}`)
  return seconds
}
const walls = {full: [], triage: []}
for (let i = 0; i < rounds; i++) {
  walls.full.push(timed([]))
  walls.triage.push(timed(['--triage']))
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`\nwhole processes (median of ${rounds}): trawl collect ${median(walls.full).toFixed(2)} s, trawl collect --triage ${median(walls.triage).toFixed(2)} s (ratio ${(median(walls.triage) / median(walls.full)).toFixed(2)})`)
