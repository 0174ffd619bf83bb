#!/usr/bin/env node
// VHD, VHDX, QCOW2 and VMDK read throughput of trawl against qemu-img on the same generated disks, in the
// same run: trawl reading the whole virtual disk (as image cat / collect read it), `trawl image
// verify` started as an examiner starts it (the same reads plus MD5 and SHA-1), and `qemu-img
// convert -O raw` of the same image (the reference reader, writing the raw copy to .bench/).
//
//   npm run build && node scripts/bench/virtual-disks.mjs [--mib 256]
//
// The raw disk and its conversions are generated into .bench/ (gitignored) and reused: each MiB
// is half random bytes, a quarter text and a quarter zeros, and one 2 MiB stretch in eight is left
// zero so sparse and dynamic disks have unallocated clusters, grains and blocks, as a real one does.
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const mib = Number(option('mib', '256'))
const bench = join(root, '.bench')
const raw = join(bench, `virtual-disks-${mib}.raw`)
const detect = join(root, 'dist/src/image/detect.js')

if (!existsSync(detect)) {
  console.error('run `npm run build` first (needs dist/src/image/detect.js)')
  process.exit(2)
}
if (spawnSync('which', ['qemu-img']).status !== 0) {
  console.error('qemu-img is not installed (Debian qemu-utils)')
  process.exit(2)
}

mkdirSync(bench, {recursive: true})
if (!existsSync(raw)) {
  const text = Buffer.from('The quick brown fox jumps over the lazy dog. 0123456789\n'.repeat(5000)).subarray(0, 256 * 1024)
  const zeros = Buffer.alloc(1024 * 1024)
  const fd = openSync(raw, 'w')
  for (let i = 0; i < mib; i++) {
    if (i % 16 >= 14) {
      writeSync(fd, zeros)
      continue
    }
    writeSync(fd, randomBytes(512 * 1024))
    writeSync(fd, text)
    writeSync(fd, zeros.subarray(0, 256 * 1024))
  }
  closeSync(fd)
}

const disks = [
  {name: 'VHD dynamic', file: `vhd-${mib}-dynamic.vhd`, qemuFormat: 'vpc', options: ['-o', 'force_size=on']},
  {name: 'VHD fixed', file: `vhd-${mib}-fixed.vhd`, qemuFormat: 'vpc', options: ['-o', 'subformat=fixed,force_size=on']},
  {name: 'VHDX dynamic', file: `vhd-${mib}-dynamic.vhdx`, qemuFormat: 'vhdx', options: ['-o', 'subformat=dynamic']},
  {name: 'VHDX fixed', file: `vhd-${mib}-fixed.vhdx`, qemuFormat: 'vhdx', options: ['-o', 'subformat=fixed']},
  {name: 'QCOW2 v3', file: `qcow-${mib}.qcow2`, qemuFormat: 'qcow2', options: []},
  {name: 'QCOW2 v2 zlib', file: `qcow-${mib}-c.qcow2`, qemuFormat: 'qcow2', options: ['-c', '-o', 'compat=0.10']},
  {name: 'QCOW2 ext-L2', file: `qcow-${mib}-xl2.qcow2`, qemuFormat: 'qcow2', options: ['-o', 'extended_l2=on']},
  {name: 'VMDK sparse', file: `vmdk-${mib}-sparse.vmdk`, qemuFormat: 'vmdk', options: []},
  {name: 'VMDK stream', file: `vmdk-${mib}-stream.vmdk`, qemuFormat: 'vmdk', options: ['-o', 'subformat=streamOptimized']},
  {name: 'VMDK flat', file: `vmdk-${mib}-flat.vmdk`, qemuFormat: 'vmdk', options: ['-o', 'subformat=monolithicFlat']},
]
for (const disk of disks) {
  const path = join(bench, disk.file)
  if (existsSync(path)) continue
  const made = spawnSync('qemu-img', ['convert', '-f', 'raw', '-O', disk.qemuFormat, ...disk.options, raw, path], {stdio: 'inherit'})
  if (made.status !== 0) process.exit(1)
}

/** Wall seconds of a command, and its stdout. */
function timed(command, commandArgs) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, commandArgs, {maxBuffer: 1 << 24})
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed: ${result.stderr}`)
  return {seconds, stdout: String(result.stdout)}
}

// trawl reading the whole media in 4 MiB steps, in its own process; it prints its own read time
const readScript = (path) => `
import {openImage} from ${JSON.stringify(detect)}
const image = openImage(${JSON.stringify(path)})
const start = process.hrtime.bigint()
for (let offset = 0; offset < image.source.size; offset += 4 << 20) image.source.read(offset, 4 << 20)
console.log(Number(process.hrtime.bigint() - start) / 1e9)
image.source.close()
`

const out = join(bench, 'virtual-disks-qemu-out.raw')
const rate = (seconds) => `${(mib / seconds).toFixed(0).padStart(5)} MiB/s`
console.log(`VHD/VHDX/QCOW2/VMDK whole-disk reads, ${mib} MiB disk (one run each, warm page cache)`)
// the same two measures on the raw disk: what the container costs over reading the bytes as they are
spawnSync('cat', [raw], {stdio: 'ignore'})
const rawRead = Number(timed(process.execPath, ['--input-type=module', '-e', readScript(raw)]).stdout.trim())
const rawVerify = timed(process.execPath, [join(root, 'bin/run.js'), 'image', 'verify', raw]).seconds
console.log(`${'raw'.padEnd(13)} trawl read ${rate(rawRead)}   trawl image verify (MD5+SHA-1) ${rate(rawVerify)}`)
for (const disk of disks) {
  const path = join(bench, disk.file)
  // a warm-up read each, so every tool meets the same page cache
  spawnSync('sh', ['-c', `cat ${JSON.stringify(path)}* >/dev/null`], {stdio: 'ignore'})
  const trawlRead = Number(timed(process.execPath, ['--input-type=module', '-e', readScript(path)]).stdout.trim())
  const verify = timed(process.execPath, [join(root, 'bin/run.js'), 'image', 'verify', path]).seconds
  const qemu = timed('qemu-img', ['convert', '-f', disk.qemuFormat, '-O', 'raw', path, out]).seconds
  rmSync(out, {force: true})
  console.log(
    `${disk.name.padEnd(13)} trawl read ${rate(trawlRead)}   trawl image verify (MD5+SHA-1) ${rate(verify)}   qemu-img convert -O raw ${rate(qemu)}   ` +
      `read/qemu ${(qemu / trawlRead).toFixed(2)}x   verify/qemu ${(qemu / verify).toFixed(2)}x`,
  )
}
