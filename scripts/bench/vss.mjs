#!/usr/bin/env node
/**
 * Volume Shadow Copy read throughput: each snapshot of plaso's vsstest (1 GiB NTFS, two
 * snapshots) read whole through trawl's ShadowCopyVolume, against libvshadow's vshadowmount
 * (FUSE) reading the same raw volume in the same run, in 1 MiB reads, each side hashed with
 * SHA-256 (the two must be equal). The raw volume is made once with qemu-img into .bench/vss/.
 * Also the time to open the catalog and read every store's block list and bitmaps.
 *
 *   npm run build && node scripts/bench/vss.mjs        (needs qemu-img, vshadowmount, root for FUSE)
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, readSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const image = join(root, '../shared/testdata/disk/qcow/plaso_vsstest.qcow2')
const work = join(root, '.bench/vss')
const raw = join(work, 'vsstest.raw')
const mnt = join(work, 'mnt')
const CHUNK = 1 << 20

for (const tool of ['qemu-img', 'vshadowmount']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.log(`vss bench skipped: ${tool} not installed (Debian: qemu-utils, libvshadow-utils)`)
    process.exit(0)
  }
}
if (!existsSync(image)) {
  console.log(`vss bench skipped: ${image} not found`)
  process.exit(0)
}
mkdirSync(mnt, {recursive: true})
if (!existsSync(raw)) execFileSync('qemu-img', ['convert', '-O', 'raw', image, raw])

const {RawImage} = await import(join(root, 'dist/src/image/raw.js'))
const {ShadowCopies} = await import(join(root, 'dist/src/vss/shadow-copies.js'))

function timed(read, size) {
  const hash = createHash('sha256')
  const t0 = process.hrtime.bigint()
  for (let offset = 0; offset < size; offset += CHUNK) hash.update(read(offset, Math.min(CHUNK, size - offset)))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  return {seconds, sha256: hash.digest('hex'), mibPerSecond: size / (1 << 20) / seconds}
}

const volume = new RawImage(raw)
const t0 = process.hrtime.bigint()
const shadowCopies = ShadowCopies.open(volume)
for (const copy of shadowCopies.catalog.shadowCopies) shadowCopies.check(copy.number)
console.log(`catalog and ${shadowCopies.catalog.shadowCopies.length} stores read in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`)

execFileSync('vshadowmount', [raw, mnt], {stdio: 'ignore'})
try {
  for (const copy of shadowCopies.catalog.shadowCopies) {
    const snapshot = shadowCopies.snapshot(copy.number)
    const ours = timed((offset, length) => snapshot.read(offset, length), snapshot.size)
    const fd = openSync(join(mnt, `vss${copy.number}`), 'r')
    const buffer = Buffer.alloc(CHUNK)
    const theirs = timed((offset, length) => buffer.subarray(0, readSync(fd, buffer, 0, length, offset)), snapshot.size)
    closeSync(fd)
    console.log(
      `vss${copy.number}: trawl ${ours.mibPerSecond.toFixed(0)} MiB/s, vshadowmount ${theirs.mibPerSecond.toFixed(0)} MiB/s (trawl/vshadowmount time ${(ours.seconds / theirs.seconds).toFixed(2)}); SHA-256 ${ours.sha256 === theirs.sha256 ? 'equal' : `DIFFERENT: ${ours.sha256} vs ${theirs.sha256}`}`,
    )
    if (ours.sha256 !== theirs.sha256) process.exitCode = 1
  }
  const live = timed((offset, length) => volume.read(offset, length), volume.size)
  console.log(`live volume (raw file): ${live.mibPerSecond.toFixed(0)} MiB/s`)
} finally {
  spawnSync('fusermount', ['-u', mnt])
  volume.close()
}
