#!/usr/bin/env node
// E01 read throughput of trawl against libewf (ewfverify, ewfexport) on the same
// generated image, measured in the same run, and trawl's peak memory.
//
//   npm run build && node scripts/bench/image.mjs [--mib 256] [--compression fast|best|none]
//
// The image is generated into .bench/ (gitignored) and reused when present:
// each MiB is half random bytes (incompressible), a quarter repeated text and a
// quarter zeros, so compressed and stored chunks both occur, as on a real disk.
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const mib = Number(option('mib', '256'))
const compression = option('compression', 'fast')
const bench = join(root, '.bench')
const raw = join(bench, `image-${mib}.raw`)
const target = join(bench, `image-${mib}-${compression}`)
const e01 = `${target}.E01`
const dist = join(root, 'dist/src/image/ewf.js')

if (!existsSync(dist)) {
  console.error('run `npm run build` first (needs dist/src/image/ewf.js)')
  process.exit(2)
}
for (const tool of ['ewfacquire', 'ewfverify', 'ewfexport']) {
  if (spawnSync('which', [tool]).status !== 0) {
    console.error(`${tool} is not installed (libewf-tools / ewf-tools)`)
    process.exit(2)
  }
}

mkdirSync(bench, {recursive: true})
if (!existsSync(raw)) {
  const text = Buffer.from('The quick brown fox jumps over the lazy dog. 0123456789\n'.repeat(5000)).subarray(0, 256 * 1024)
  const zeros = Buffer.alloc(256 * 1024)
  const fd = openSync(raw, 'w')
  for (let i = 0; i < mib; i++) {
    writeSync(fd, randomBytes(512 * 1024))
    writeSync(fd, text)
    writeSync(fd, zeros)
  }
  closeSync(fd)
}
if (!existsSync(e01)) {
  const made = spawnSync('ewfacquire', ['-u', '-q', '-c', compression, '-t', target, '-C', 'bench', '-e', 'bench', raw], {stdio: 'ignore'})
  if (made.status !== 0) {
    console.error('ewfacquire failed')
    process.exit(1)
  }
}

/** Runs a command under /usr/bin/time: wall seconds, CPU seconds (user + system) and peak RSS. */
function timed(command, commandArgs) {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...commandArgs], {maxBuffer: 1 << 24})
  const stderr = String(result.stderr ?? '')
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed: ${stderr}`)
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr)
  return {seconds: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), maxRssKiB: Number(m[4]), stdout: String(result.stdout ?? '')}
}

// trawl in its own process, so its peak memory (VmHWM) is its own.
const trawlScript = `
import {readFileSync} from 'node:fs'
import {EwfImage} from ${JSON.stringify(dist)}
import {digestPool} from ${JSON.stringify(join(root, 'dist/src/bundle/digest-pool.js'))}
const image = EwfImage.open(${JSON.stringify(e01)})
// MD5 on a thread of its own while this one reads and inflates, as trawl hashes what it reads
const md5 = digestPool([['md5']]).open()
const block = image.chunkSize // chunk-aligned reads hand back each decompressed chunk without a copy
const start = process.hrtime.bigint()
for (let offset = 0; offset < image.size; offset += block) await md5.update(image.read(offset, block))
const {md5: hex} = await md5.digestAll()
const seconds = Number(process.hrtime.bigint() - start) / 1e9
image.close()
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
console.log(JSON.stringify({seconds, md5: hex, size: image.size, stored: image.storedHashes.md5, peakKiB: hwm ? Number(hwm[1]) : null, rss: process.memoryUsage().rss}))
`

// trawl image verify's engine: reads the media once and updates MD5 and SHA-1 from each chunk.
const verifyScript = `
import {readFileSync} from 'node:fs'
import {verifyImage} from ${JSON.stringify(join(root, 'dist/src/image/verify.js'))}
const start = process.hrtime.bigint()
const result = await verifyImage(${JSON.stringify(e01)})
const seconds = Number(process.hrtime.bigint() - start) / 1e9
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
console.log(JSON.stringify({seconds, verdict: result.verdict, md5: result.computed.md5, sha1: result.computed.sha1, size: result.size, peakKiB: hwm ? Number(hwm[1]) : null}))
`

const runs = Number(option('runs', '3'))
const best = (fn) => {
  let result
  for (let i = 0; i < runs; i++) {
    const r = fn()
    if (!result || r.seconds < result.seconds) result = r
  }
  return result
}

// Warm the page cache so every reader starts from the same state.
spawnSync('cat', [e01], {stdio: ['ignore', 'ignore', 'ignore']})

const trawl = best(() => {
  const r = timed(process.execPath, ['--input-type=module', '-e', trawlScript])
  const out = JSON.parse(r.stdout.trim())
  return {...out, read: out.seconds, seconds: r.seconds, cpu: r.cpu}
})
const verify = best(() => timed('ewfverify', ['-q', e01]))
const trawlVerify = best(() => {
  const r = timed(process.execPath, ['--input-type=module', '-e', verifyScript])
  const out = JSON.parse(r.stdout.trim())
  return {...out, read: out.seconds, seconds: r.seconds, cpu: r.cpu}
})
const verifySha1 = best(() => timed('ewfverify', ['-q', '-d', 'sha1', e01]))
// the command as a user runs it
const trawlCommand = best(() => timed(process.execPath, [join(root, 'bin/run.js'), 'image', 'verify', e01]))
const exportNull = best(() => timed('sh', ['-c', `ewfexport -u -q -f raw -t - ${JSON.stringify(e01)} > /dev/null`]))

const mibps = (seconds) => (trawl.size / (1024 * 1024) / seconds).toFixed(1)
const md5Line = /MD5 hash calculated over data:\s+([0-9a-f]{32})/.exec(verify.stdout)
const row = (name, r) => `  ${name.padEnd(28)}: wall ${r.seconds.toFixed(3)} s (${mibps(r.seconds)} MiB/s), CPU ${r.cpu.toFixed(2)} s (${mibps(r.cpu)} MiB/s)`
console.log(`E01 read throughput, ${mib} MiB media, ewfacquire -c ${compression}, best of ${runs} (whole processes, startup included)`)
console.log(row('trawl (EwfImage read + MD5)', trawl) + `; reading alone ${trawl.read.toFixed(3)} s`)
console.log(row('ewfverify (read + MD5)', verify))
console.log(row('ewfexport -f raw > /dev/null', exportNull))
console.log(row('trawl image verify (MD5+SHA-1)', trawlVerify) + `; verdict ${trawlVerify.verdict}`)
console.log(row('ewfverify -d sha1', verifySha1))
console.log(`  ratio verify/ewfverify -d sha1: wall ${(trawlVerify.seconds / verifySha1.seconds).toFixed(2)}x, CPU ${(trawlVerify.cpu / verifySha1.cpu).toFixed(2)}x; peak memory ${(trawlVerify.peakKiB / 1024).toFixed(1)} MiB`)
console.log(row('trawl image verify (command)', trawlCommand))
console.log(`  ratio trawl image verify (command, MD5+SHA-1) / ewfverify -d sha1: wall ${(trawlCommand.seconds / verifySha1.seconds).toFixed(2)}x, CPU ${(trawlCommand.cpu / verifySha1.cpu).toFixed(2)}x; / ewfverify (MD5 only): wall ${(trawlCommand.seconds / verify.seconds).toFixed(2)}x (target <= 1.0x)`)
console.log(`  ratio trawl/ewfverify      : wall ${(trawl.seconds / verify.seconds).toFixed(2)}x, CPU ${(trawl.cpu / verify.cpu).toFixed(2)}x (target <= 1.0x)`)
console.log(`  ratio trawl/ewfexport      : wall ${(trawl.seconds / exportNull.seconds).toFixed(2)}x, CPU ${(trawl.cpu / exportNull.cpu).toFixed(2)}x`)
console.log(`  MD5 trawl ${trawl.md5} ${md5Line && md5Line[1] === trawl.md5 ? '= ewfverify' : `!= ewfverify ${md5Line?.[1]}`}; stored ${trawl.stored}`)
console.log(`  trawl peak memory (VmHWM) : ${(trawl.peakKiB / 1024).toFixed(1)} MiB (target < 300 MiB, independent of image size); ewfverify ${(verify.maxRssKiB / 1024).toFixed(1)} MiB`)
console.log(`  (load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}: wall times are only comparable on an idle machine; CPU times less so affected)`)
