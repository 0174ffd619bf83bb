#!/usr/bin/env node
// Benchmark of the picture EXIF parser and of hash-set loading, against exiftool in the same run.
//   npm run build && node --expose-gc scripts/bench/media.mjs [--pictures N] [--hashes N] [--hashset-only]
// Pictures: N copies (default 1 000) of the real ~2 MB phone and camera JPEGs of
// ../shared/testdata/exif (each with a unique 16-byte trailer after EOI, so every file
// has its own hash) in .bench/media/ (gitignored). Both tools read them from a warm page cache.
// trawl: the `exif` parser as collection runs it, one picture after another, including
// the streamed SHA-256 of the whole file. exiftool: `exiftool -j -n` over the same files
// (one process, file list in an argfile). Wall and CPU time are both reported: on a
// shared machine the CPU ratio is the steadier one.
// Hash set: a one-million-line plain list (mixed MD5 / SHA-1 / SHA-256): load time,
// memory held, and lookups per second.
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {once} from 'node:events'
import {cpus, loadavg} from 'node:os'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  return at === -1 ? fallback : Number(args[at + 1])
}
const PICTURES = option('--pictures', 1000)
const HASHES = option('--hashes', 1_000_000)
const SHARED = process.env.TRAWL_SHARED_DIR ?? resolve(ROOT, '../shared/testdata')
const BENCH = join(ROOT, '.bench/media')
const SOURCES = ['exif/jpg_gps/iphone_hdr_YES.jpg', 'exif/jpg_edge/corrupted.jpg'].map((f) => join(SHARED, f))

const {exifParser} = await import(join(ROOT, 'dist/src/parsers/media/exif.js'))
const {loadHashSet} = await import(join(ROOT, 'dist/src/hashset/index.js'))

const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`
const gc = async () => {
  // twice, a turn apart: array buffer backing stores are released after the first sweep
  globalThis.gc?.()
  await new Promise((resolve) => setImmediate(resolve))
  globalThis.gc?.()
}

function preparePictures() {
  mkdirSync(BENCH, {recursive: true})
  const originals = SOURCES.map((f) => readFileSync(f))
  let bytes = 0
  for (let i = 0; i < PICTURES; i++) {
    const path = join(BENCH, `IMG_${String(i).padStart(5, '0')}.jpg`)
    const original = originals[i % originals.length]
    const size = original.length + 16
    if (!existsSync(path) || statSync(path).size !== size) {
      const trailer = Buffer.alloc(16)
      trailer.write(`trawl-bench-${String(i).padStart(4, '0')}`, 'latin1')
      writeFileSync(path, Buffer.concat([original, trailer]))
    }
    bytes += size
  }
  const files = readdirSync(BENCH).filter((n) => n.endsWith('.jpg')).sort().slice(0, PICTURES).map((n) => join(BENCH, n))
  // Warm the page cache for both tools alike.
  for (const f of files) readFileSync(f)
  return {files, bytes}
}

function inputFor(path, sha256) {
  const bundlePath = `files/bench/${path.slice(path.lastIndexOf('/') + 1)}`
  return {
    copyPath: path, companions: [], bundlePath, sourcePath: bundlePath, volume: 'bench',
    artifact: {id: 'user-pictures', name: 'bench', category: 'media'}, captures: {}, attributes: {},
    collectRelated: async () => undefined,
    source: (extra) => ({file: bundlePath, ...extra}),
    ...(sha256 ? {sha256} : {}),
  }
}

async function runTrawl(files, concurrency, hashes) {
  let records = 0
  let geotagged = 0
  const start = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  let next = 0
  async function worker() {
    while (next < files.length) {
      const file = files[next++]
      for await (const record of exifParser.parse(inputFor(file, hashes?.get(file)))) {
        if (record.type === 'media.exif') {
          records++
          if (record.gps) geotagged++
        }
      }
    }
  }
  await Promise.all(Array.from({length: concurrency}, worker))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(cpuStart)
  return {seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, records, geotagged}
}

function runExiftool(files) {
  // Through bash so that `times` reports exiftool's CPU time (user, system) beside the wall time.
  const out = join(ROOT, '.bench', 'exiftool.json')
  const list = join(ROOT, '.bench', 'exiftool-files.txt')
  writeFileSync(list, `${files.join('\n')}\n`)
  const start = process.hrtime.bigint()
  const result = spawnSync('bash', ['-c', 'exiftool -j -n -q -@ "$1" > "$2"; times', 'bench', list, out], {encoding: 'utf8'})
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (result.error) throw result.error
  // `times`: shell user/system, then children user/system, as '0m1.234s 0m0.056s'
  const childLine = result.stdout.trim().split('\n').pop()
  const cpuSeconds = childLine.split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t)
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0
  }).reduce((a, b) => a + b, 0)
  const rows = JSON.parse(readFileSync(out, 'utf8'))
  if (rows.length < files.length) throw new Error(`exiftool reported ${rows.length} files, expected ${files.length}`)
  return {seconds, cpuSeconds, records: rows.length, geotagged: rows.filter((r) => r.GPSLatitude !== undefined).length}
}

async function prepareHashSet() {
  const path = join(ROOT, '.bench', `hashset-${HASHES}.txt`)
  if (existsSync(path)) return path
  const out = createWriteStream(path)
  out.write('# trawl bench hash set: mixed MD5, SHA-1 and SHA-256\n')
  const algorithms = ['md5', 'sha1', 'sha256']
  for (let i = 0; i < HASHES; i++) {
    const line = `${createHash(algorithms[i % 3]).update(`known file ${i}`).digest('hex')}\n`
    if (!out.write(line)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return path
}

async function benchHashSet() {
  const path = await prepareHashSet()
  await gc()
  const before = process.memoryUsage()
  const start = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  const set = await loadHashSet(path)
  const loadSeconds = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(cpuStart)
  const loadCpuSeconds = (cpu.user + cpu.system) / 1e6
  await gc()
  const after = process.memoryUsage()
  const queries = 1_000_000
  // Queries are prepared first so that only the lookups are timed; half are in the set.
  const prepared = []
  for (let i = 0; i < queries; i++) {
    const n = i % 2 === 0 ? i : HASHES + i
    const alg = ['md5', 'sha1', 'sha256'][n % 3]
    prepared.push({[alg]: createHash(alg).update(`known file ${n}`).digest('hex')})
  }
  let hits = 0
  const lookupStart = process.hrtime.bigint()
  for (const query of prepared) if (set.match(query)) hits++
  const lookupSeconds = Number(process.hrtime.bigint() - lookupStart) / 1e9
  return {set, loadSeconds, loadCpuSeconds, before, after, hits, queries, lookupSeconds, fileBytes: statSync(path).size}
}

const onlyHashSet = args.includes('--hashset-only')
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs (ratios are measured in the same run)`)
if (!onlyHashSet) {
  const {files, bytes} = preparePictures()
  console.log(`media bench: ${files.length} JPEGs, ${mib(bytes)} in ${BENCH} (page cache warm)`)
  const exiftool = runExiftool(files)
  const trawl = await runTrawl(files, 1)
  const trawl4 = await runTrawl(files, 4)
  // As collection runs it when the engine passes the hash it computed while copying.
  const engineHashes = new Map(files.map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]))
  const trawlKnown = await runTrawl(files, 1, engineHashes)
  const rate = (r) => files.length / r.seconds
  const cpuRate = (r) => files.length / r.cpuSeconds
  console.log(`  exiftool -j -n      ${exiftool.seconds.toFixed(2)} s  ${rate(exiftool).toFixed(0).padStart(6)} pictures/s  (${exiftool.geotagged} geotagged; CPU ${exiftool.cpuSeconds.toFixed(2)} s)`)
  console.log(`  trawl exif          ${trawl.seconds.toFixed(2)} s  ${rate(trawl).toFixed(0).padStart(6)} pictures/s  (${trawl.geotagged} geotagged, SHA-256 of every file included)  ratio ${(rate(trawl) / rate(exiftool)).toFixed(1)}x; CPU ${trawl.cpuSeconds.toFixed(2)} s, CPU ratio ${(cpuRate(trawl) / cpuRate(exiftool)).toFixed(1)}x`)
  console.log(`  trawl exif, 4 at once ${trawl4.seconds.toFixed(2)} s ${rate(trawl4).toFixed(0).padStart(6)} pictures/s  ratio ${(rate(trawl4) / rate(exiftool)).toFixed(1)}x`)
  console.log(`  trawl exif, engine's hash ${trawlKnown.seconds.toFixed(2)} s ${rate(trawlKnown).toFixed(0).padStart(6)} pictures/s  ratio ${(rate(trawlKnown) / rate(exiftool)).toFixed(1)}x, CPU ratio ${(cpuRate(trawlKnown) / cpuRate(exiftool)).toFixed(1)}x  (EXIF only: the file is not re-read for its SHA-256)`)
  if (trawl.geotagged !== exiftool.geotagged) console.log(`  WARNING: geotagged counts differ (trawl ${trawl.geotagged}, exiftool ${exiftool.geotagged})`)
  console.log(`  target >= 5x (one picture at a time, SHA-256 included): wall ${rate(trawl) / rate(exiftool) >= 5 ? 'met' : 'NOT met'}, CPU ${cpuRate(trawl) / cpuRate(exiftool) >= 5 ? 'met' : 'NOT met'}`)
}

const hs = await benchHashSet()
console.log(`hash set: ${HASHES.toLocaleString('en')} lines (${mib(hs.fileBytes)}), ${hs.set.size.toLocaleString('en')} digests`)
console.log(`  load ${hs.loadSeconds.toFixed(2)} s (CPU ${hs.loadCpuSeconds.toFixed(2)} s); held: digest tables ${mib(hs.set.byteLength)}, heap +${mib(hs.after.heapUsed - hs.before.heapUsed)}, array buffers +${mib(hs.after.arrayBuffers - hs.before.arrayBuffers)}, RSS +${mib(hs.after.rss - hs.before.rss)}${globalThis.gc ? '' : ' (run with --expose-gc for exact figures)'}`)
console.log(`  ${hs.queries.toLocaleString('en')} lookups (${hs.hits.toLocaleString('en')} hits): ${(hs.queries / hs.lookupSeconds / 1e6).toFixed(2)} M/s`)
