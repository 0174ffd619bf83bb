#!/usr/bin/env node
// Encryption throughput: trawl's CMS encoder (src/bundle/cms-envelope.ts, AuthEnvelopedData,
// AES-256-GCM, RSA-OAEP recipient) against `openssl cms -encrypt -stream` with the same
// algorithms, on the same 1 GiB bundle, interleaved in the same run.
//
//   npm run build && node scripts/bench/encrypt.mjs [--runs 3] [--mib 1024] [--keep]
//
// The bundle: `trawl collect` of a source of 8 incompressible files (random bytes, as pictures
// and videos are) totalling --mib MiB, made into .bench/encrypt/ (gitignored). Then, per run:
//   trawl:   read the bundle, EnvelopeEncryptor.update per 1 MiB, write the .p7m (one process
//            pass, as collect does on the fly);
//   openssl: openssl cms -encrypt -binary -aes-256-gcm -stream, OAEP-SHA-256 recipient.
// Ratio = trawl MiB/s / openssl MiB/s. Each output is checked once: openssl decrypts trawl's
// and trawl decrypts openssl's, both back to the bundle's SHA-256.
// Also shown: `trawl collect` of the same source with and without --recipient (what encrypting
// costs a collection). Everything made is deleted at the end unless --keep.
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash, createPrivateKey, randomFillSync, X509Certificate} from 'node:crypto'
import {closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : args[at + 1]
}
const RUNS = Number(option('runs', 3))
const TOTAL_MIB = Number(option('mib', 1024))
const KEEP = args.includes('--keep')
const BENCH = join(ROOT, '.bench/encrypt')
const BIN = join(ROOT, 'bin/run.js')
const MiB = 1 << 20

if (!existsSync(join(ROOT, 'dist/src/bundle/cms-envelope.js'))) {
  console.error('run `npm run build` first')
  process.exit(2)
}
const {EnvelopeEncryptor, decryptEnvelope} = await import(join(ROOT, 'dist/src/bundle/cms-envelope.js'))

const trawl = (argv, env = {}) => {
  const t0 = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [BIN, ...argv], {env: {...process.env, ...env}, encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`trawl ${argv[0]} failed: ${result.stderr}`)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

function sha256File(path) {
  return execFileSync('sha256sum', [path], {encoding: 'utf8'}).split(' ')[0]
}

function prepare() {
  rmSync(BENCH, {recursive: true, force: true})
  const source = join(BENCH, 'source/Users/u/Videos')
  mkdirSync(source, {recursive: true})
  const block = Buffer.alloc(8 * MiB)
  for (let i = 0; i < 8; i++) {
    const fd = openSync(join(source, `clip-${i}.mp4`), 'w')
    for (let done = 0; done < (TOTAL_MIB / 8) * MiB; done += block.length) writeSync(fd, randomFillSync(block))
    closeSync(fd)
  }
  const definitions = join(BENCH, 'definitions')
  mkdirSync(definitions)
  execFileSync('sh', ['-c', `printf '%s\\n' "- id: user-videos" "  name: User videos" "  category: media" "  description: every file under Videos" "  paths: ['Users/{user}/Videos/*']" > ${definitions}/videos.yaml`])
  const env = {BENCH_PASS: 'bench'}
  trawl(['keys', 'create', '--name', 'Bench Examiner', '--out', join(BENCH, 'signer'), '--passphrase-env', 'BENCH_PASS'], env)
  trawl(['keys', 'create', '--encryption', '--name', 'Bench Lab', '--out', join(BENCH, 'lab')], env)
  return {source: join(BENCH, 'source'), definitions, env}
}

const collectArgs = (setup, out, extra = []) => [
  'collect', '--allow-same-volume', '--source', setup.source, '--definitions', setup.definitions, '--out', out, '--case', 'BENCH', '--examiner', 'Bench',
  '--key', join(BENCH, 'signer/key.pem'), '--cert', join(BENCH, 'signer/cert.pem'), '--passphrase-env', 'BENCH_PASS', ...extra,
]

async function trawlEncrypt(input, output, certificate) {
  const t0 = process.hrtime.bigint()
  const envelope = new EnvelopeEncryptor([certificate])
  const fd = openSync(output, 'wx')
  writeSync(fd, envelope.header)
  for await (const chunk of createReadStream(input, {highWaterMark: MiB})) {
    const out = envelope.update(chunk)
    for (let done = 0; done < out.length; ) done += writeSync(fd, out, done)
  }
  writeSync(fd, envelope.final())
  closeSync(fd)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

function opensslEncrypt(input, output, certPath) {
  const t0 = process.hrtime.bigint()
  execFileSync('openssl', ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-stream', '-outform', 'DER', '-in', input, '-out', output, '-recip', certPath, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'])
  return Number(process.hrtime.bigint() - t0) / 1e9
}

async function trawlDecryptSha(input, keyPath) {
  const hash = createHash('sha256')
  for await (const chunk of decryptEnvelope(createReadStream(input, {highWaterMark: MiB}), {privateKey: createPrivateKey(readFileSync(keyPath)), label: keyPath}, input)) hash.update(chunk)
  return hash.digest('hex')
}

const setup = prepare()
const bundle = join(BENCH, 'bundle.zip')
trawl(collectArgs(setup, bundle), setup.env)
const size = statSync(bundle).size
const bundleSha = sha256File(bundle)
const certPath = join(BENCH, 'lab/encryption-cert.pem')
const keyPath = join(BENCH, 'lab/encryption-key.pem')
const certificate = new X509Certificate(readFileSync(certPath))
console.log(`bundle: ${(size / MiB).toFixed(0)} MiB (${readdirSync(join(setup.source, 'Users/u/Videos')).length} incompressible files), ${RUNS} runs interleaved`)

const times = {trawl: [], openssl: [], collectPlain: [], collectEncrypted: []}
for (let run = 0; run < RUNS; run++) {
  const mine = join(BENCH, `trawl-${run}.p7m`)
  const theirs = join(BENCH, `openssl-${run}.p7m`)
  times.trawl.push(await trawlEncrypt(bundle, mine, certificate))
  times.openssl.push(opensslEncrypt(bundle, theirs, certPath))
  if (run === 0) {
    // the outputs are real: each tool opens the other's
    const fromTrawl = join(BENCH, 'check.zip')
    execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', mine, '-recip', certPath, '-inkey', keyPath, '-out', fromTrawl])
    if (sha256File(fromTrawl) !== bundleSha) throw new Error('openssl did not decrypt trawl\'s output to the bundle')
    rmSync(fromTrawl)
    if ((await trawlDecryptSha(theirs, keyPath)) !== bundleSha) throw new Error('trawl did not decrypt openssl\'s output to the bundle')
  }
  rmSync(mine)
  rmSync(theirs)
  const plainOut = join(BENCH, `collect-${run}.zip`)
  const encryptedOut = join(BENCH, `collect-enc-${run}.zip`)
  times.collectPlain.push(trawl(collectArgs(setup, plainOut), setup.env))
  times.collectEncrypted.push(trawl(collectArgs(setup, encryptedOut, ['--recipient', certPath]), setup.env))
  rmSync(plainOut)
  rmSync(`${encryptedOut}.p7m`)
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const rate = (seconds) => size / MiB / seconds
const row = (label, list) => console.log(`${label.padEnd(44)} median ${median(list).toFixed(2)} s  ${rate(median(list)).toFixed(0).padStart(5)} MiB/s  (runs: ${list.map((t) => t.toFixed(2)).join(', ')})`)
row('trawl CMS encoder (AES-256-GCM, RSA-OAEP)', times.trawl)
row('openssl cms -encrypt -aes-256-gcm -stream', times.openssl)
console.log(`ratio trawl / openssl: ${(median(times.openssl) / median(times.trawl)).toFixed(2)}`)
row('trawl collect (plain bundle)', times.collectPlain)
row('trawl collect --recipient (encrypted)', times.collectEncrypted)
console.log(`collect, encrypted / plain throughput: ${(median(times.collectPlain) / median(times.collectEncrypted)).toFixed(2)}`)
if (!KEEP) rmSync(BENCH, {recursive: true, force: true})
