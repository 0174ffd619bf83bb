// PDQ matching at the scale of agency lists: a multi-index hash (src/hashset/pdq-index.ts) over
// 1 000 000 listed hashes against a linear scan of the same list, same run, same queries; and the
// cost of hashing a picture (decode + PDQ) for the picture sizes of the fixtures.
import {randomBytes} from 'node:crypto'
import {performance} from 'node:perf_hooks'
import {readFileSync} from 'node:fs'
import {join, dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {PdqIndex, hammingDistance} from '../../dist/src/hashset/pdq-index.js'
import {decodePicture} from '../../dist/src/parsers/media/decode.js'
import {lumaOf, pdqOfLuma} from '../../dist/src/parsers/media/pdq.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const N = Number(process.env.PHASH_BENCH_N ?? 1_000_000)
const QUERIES = 1000
const list = Array.from({length: N}, () => randomBytes(32))
// half the queries are near a listed hash (up to 31 bits flipped), half are strangers
const queries = Array.from({length: QUERIES}, (_, i) => {
  if (i % 2) return randomBytes(32)
  const q = Buffer.from(list[(i * 7919) % N])
  for (let f = 0; f < 1 + (i % 31); f++) {
    const bit = (i * 131 + f * 37) % 256
    q[bit >> 3] ^= 1 << (bit & 7)
  }
  return q
})

let t = performance.now()
const index = new PdqIndex()
list.forEach((h, i) => index.add(h, i))
index.build()
const buildMs = performance.now() - t
t = performance.now()
let found = 0
for (const q of queries) found += index.near(q, 31).length
const indexMs = performance.now() - t
// the scan is slow: measured on the first SCANNED queries, compared per query
const SCANNED = 20
let foundScanned = 0
for (const q of queries.slice(0, SCANNED)) foundScanned += index.near(q, 31).length
t = performance.now()
let scanned = 0
for (const q of queries.slice(0, SCANNED)) for (const h of list) if (hammingDistance(q, h) <= 31) scanned++
const scanMs = ((performance.now() - t) / SCANNED) * QUERIES
console.log(`PDQ list of ${N} hashes: index built in ${buildMs.toFixed(0)} ms, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB + buffers ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(0)} MiB`)
console.log(`  ${QUERIES} queries at threshold 31: index ${(indexMs / QUERIES).toFixed(3)} ms/query, linear scan ${(scanMs / QUERIES).toFixed(1)} ms/query: ${(scanMs / indexMs).toFixed(0)}x faster (${found} matches; on the first ${SCANNED} queries index ${foundScanned} = scan ${scanned})`)
if (foundScanned !== scanned) process.exitCode = 1

for (const name of ['fixtures/correlate/camera-1.jpg', 'fixtures/pdq/reference/q2821.jpg']) {
  const bytes = readFileSync(join(root, name))
  t = performance.now()
  const {picture} = decodePicture(bytes, 'jpeg')
  const decodeMs = performance.now() - t
  t = performance.now()
  pdqOfLuma(lumaOf(picture.rgba, picture.width, picture.height), picture.height, picture.width)
  console.log(`  ${name} (${picture.width}x${picture.height}): decode ${decodeMs.toFixed(0)} ms, PDQ ${(performance.now() - t).toFixed(0)} ms`)
}
