#!/usr/bin/env node
// Disks read in place: the same bytes read through a loop device with DeviceByteSource (whole
// sectors only, as Windows volume handles need) and from the image file with FileByteSource, and
// md5sum of the device as the reference, in the same run. Then many small unaligned reads (what
// NTFS metadata parsing asks for), where widening to sectors costs most; and a full NTFS listing
// both ways (of the largest .bench/ntfs-<N>k.img scripts/bench/ntfs.mjs built, else of the
// fixtures/ntfs/main.img fixture).
// Needs root (losetup). Run `npm run build` first (imports ../../dist).
//   node scripts/bench/device.mjs [--mib 256]
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync} from 'node:fs'
import {gunzipSync} from 'node:zlib'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const mib = Number(args[args.indexOf('--mib') + 1] || 0) || 256
const bench = join(ROOT, '.bench')
const raw = join(bench, `device-${mib}.raw`)
// an NTFS image of scripts/bench/ntfs.mjs (.bench/ntfs-<N>k.img), the largest present
const ntfsImages = existsSync(bench) ? readdirSync(bench).filter((f) => /^ntfs-\d+k\.img$/.test(f)).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5))) : []
// (else the NTFS fixture with 3001 files in one folder, unpacked into .bench/)
const ntfsImage = ntfsImages.length > 0 ? join(bench, ntfsImages.at(-1)) : join(bench, 'ntfs-fixture-main.img')

if (process.getuid?.() !== 0) {
  console.error('needs root (losetup)')
  process.exit(2)
}
const {DeviceByteSource} = await import(join(ROOT, 'dist/src/image/device.js'))
const {FileByteSource} = await import(join(ROOT, 'dist/src/image/byte-source.js'))

mkdirSync(bench, {recursive: true})
if (!existsSync(raw)) {
  const fd = openSync(raw, 'w')
  for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(1 << 20))
  closeSync(fd)
}

const attach = (image) => execFileSync('losetup', ['--find', '--show', '--read-only', image], {encoding: 'utf8'}).trim()
const detach = (device) => execFileSync('losetup', ['--detach', device])

function time(fn) {
  const start = process.hrtime.bigint()
  const value = fn()
  return {value, seconds: Number(process.hrtime.bigint() - start) / 1e9}
}

function md5Of(source, block) {
  const md5 = createHash('md5')
  for (let offset = 0; offset < source.size; offset += block) md5.update(source.read(offset, block))
  return md5.digest('hex')
}

/** Reads of 1..1024 bytes at offsets from one seeded sequence, the same for both sources. */
function smallReads(source, count) {
  let seed = 42
  let total = 0
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    const offset = seed % (source.size - 2048)
    total += source.read(offset, 1 + (seed % 1024)).length
  }
  return total
}

const device = attach(raw)
try {
  const file = new FileByteSource(raw)
  const disk = DeviceByteSource.open(device, {kind: 'block-device'})
  console.log(`${mib} MiB of random bytes; ${device}: ${disk.size} bytes, ${disk.sectorSize}-byte sectors, size from ${disk.sizeFrom}`)
  // warm the page cache for both, so neither pays the disk
  md5Of(file, 1 << 20)
  md5Of(disk, 1 << 20)
  const reference = time(() => spawnSync('md5sum', [device], {encoding: 'utf8'}).stdout.split(' ')[0])
  const fromFile = time(() => md5Of(file, 1 << 20))
  const fromDevice = time(() => md5Of(disk, 1 << 20))
  if (fromFile.value !== reference.value || fromDevice.value !== reference.value) throw new Error('digests differ')
  const rate = (t) => `${(mib / t.seconds).toFixed(0)} MiB/s`
  console.log(`sequential 1 MiB reads + MD5: md5sum ${rate(reference)}, file ${rate(fromFile)}, device ${rate(fromDevice)} (device/file ${(fromDevice.seconds / fromFile.seconds).toFixed(2)}x)`)
  const count = 200_000
  const smallFile = time(() => smallReads(file, count))
  const smallDevice = time(() => smallReads(disk, count))
  if (smallFile.value !== smallDevice.value) throw new Error('small reads differ')
  const perRead = (t) => `${((t.seconds / count) * 1e6).toFixed(2)} us`
  console.log(`${count} unaligned reads of 1-1024 bytes: file ${perRead(smallFile)}, device ${perRead(smallDevice)} per read (device/file ${(smallDevice.seconds / smallFile.seconds).toFixed(2)}x)`)
  file.close()
  disk.close()
} finally {
  detach(device)
}

if (!existsSync(ntfsImage)) writeFileSync(ntfsImage, gunzipSync(readFileSync(join(ROOT, 'fixtures/ntfs/main.img.gz'))))
const {ntfsDriver} = await import(join(ROOT, 'dist/src/ntfs/index.js'))

/** Entries of a full recursive NTFS listing, through a fresh file system on `source`. */
async function listAll(source) {
  const fs = ntfsDriver.open(source)
  let count = 0
  const walk = async (dir) => {
    for (const entry of await fs.list(dir)) {
      count++
      if (entry.kind === 'directory') await walk(entry.path)
    }
  }
  await walk('')
  await fs.close?.()
  return count
}

const loop = attach(ntfsImage)
try {
  const sources = {file: new FileByteSource(ntfsImage), device: DeviceByteSource.open(loop, {kind: 'block-device'})}
  const best = {file: Infinity, device: Infinity}
  const counts = {}
  // alternating rounds, the best of each: JIT warm-up and a shared machine's noise hit both alike
  for (let round = 0; round < 4; round++) {
    for (const name of ['file', 'device']) {
      const start = process.hrtime.bigint()
      counts[name] = await listAll(sources[name])
      if (round > 0) best[name] = Math.min(best[name], Number(process.hrtime.bigint() - start) / 1e9)
    }
  }
  if (counts.file !== counts.device) throw new Error('listings differ')
  console.log(`NTFS listing of ${counts.file} entries (${ntfsImage}): file ${best.file.toFixed(3)} s, device ${best.device.toFixed(3)} s (device/file ${(best.device / best.file).toFixed(2)}x)`)
  sources.file.close()
  sources.device.close()
} finally {
  detach(loop)
}
