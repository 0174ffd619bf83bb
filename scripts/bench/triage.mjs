#!/usr/bin/env node
// How much of a disk image a triage collection reads: `collect` from an NTFS image of a
// Windows-like volume should read only the MFT, the directories on the artifact paths and
// the files it matches, not the volume. Bytes read are counted where every image byte is
// read (FileByteSource.bytesRead) and reported against the image size (target < 5 %).
//
//   npm run build && node scripts/bench/triage.mjs [--files 100000] [--filler-mib 900] [--rebuild]
//
// The volume (.bench/triage.img, built with mkntfs + ntfs-3g, needs root): the sample
// Windows tree of fixtures/sample/tree (users, browsers, chats, pictures, hives), 100 000
// small files in 100 folders under ProgramData, and one large file of random bytes
// (pagefile.sys) that no definition matches, to about 1.2 GB.
import {execFileSync} from 'node:child_process'
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
const out = join(BENCH, 'triage-out.zip')
rmSync(out, {force: true})
const size = statSync(image).size
FileByteSource.bytesRead = 0
const started = Date.now()
const result = await collect({source: image, out, caseId: 'triage-bench', examiner: 'Bench', signer: {key: join(keysDir, 'key.pem'), cert: join(keysDir, 'cert.pem')}})
const seconds = (Date.now() - started) / 1000
const read = FileByteSource.bytesRead
const copied = result.manifest.entries.filter((e) => e.kind === 'copy')
const copiedBytes = copied.reduce((a, e) => a + e.size, 0)
rmSync(out, {force: true})
console.log(`triage collect from ${image} (${(size / 2 ** 20).toFixed(0)} MiB): ${copied.length} files (${(copiedBytes / 2 ** 20).toFixed(1)} MiB) collected in ${seconds.toFixed(1)} s, complete: ${result.complete}`)
console.log(`  bytes read from the image: ${(read / 2 ** 20).toFixed(1)} MiB = ${((100 * read) / size).toFixed(2)} % of the image (target < 5 %)`)

// where those bytes go: the NTFS reader's first listing makes one pass over the whole $MFT
// (the directory tree, src/ntfs/mft-tree.ts); measured apart by opening the image again
const {openSource} = await import(join(ROOT, 'dist/src/source/open.js'))
const {chooseVolume} = await import(join(ROOT, 'dist/src/image/listing.js'))
const again = await openSource(image)
try {
  const volume = chooseVolume(again)
  FileByteSource.bytesRead = 0
  await volume.fs.list('')
  const pass = FileByteSource.bytesRead
  console.log(`  of which the $MFT pass: ${(pass / 2 ** 20).toFixed(1)} MiB (${((100 * pass) / size).toFixed(2)} % of the image); the rest (directories on the paths, matched files, metadata): ${((read - pass) / 2 ** 20).toFixed(1)} MiB`)
} finally {
  await again.close()
}
