#!/usr/bin/env node
// EVTX reader speed (records/s) against libevtx's evtxexport -f xml and python-evtx's evtx_dump.py,
// measured in the same run on the real logs in fixtures/evtx; and the MSIECF reader against
// msiecfexport on the real index.dat files in ../shared/testdata. trawl's figure includes
// rendering every record to XML, as the oracles do. Best of 3. Needs `npm run build`.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const shared = process.env.TRAWL_SHARED_DIR ?? resolve(root, '../shared/testdata')
const {EvtxFile, chunkRecords} = await import(join(root, 'dist/src/evtx/evtx-file.js'))
const {renderXml} = await import(join(root, 'dist/src/evtx/binxml.js'))
const {readIndexDat} = await import(join(root, 'dist/src/msiecf/index-dat.js'))

const which = (name) => ['/usr/bin/', '/usr/local/bin/'].map((d) => d + name).find((p) => existsSync(p))
const evtxexport = which('evtxexport')
const evtxDump = which('evtx_dump.py')
const msiecfexport = which('msiecfexport')

function best(fn, runs = 3) {
  let min = Infinity
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    fn()
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6)
  }
  return min
}

const rate = (n, ms) => (Number.isFinite(ms) && ms > 0 ? `${Math.round((n / ms) * 1000)} records/s` : '-')
console.log(`EVTX reader vs ${evtxexport ? execFileSync(evtxexport, ['-V']).toString().split('\n')[0] : 'evtxexport (absent)'} and python-evtx (${evtxDump ?? 'absent'})`)
for (const name of ['security.evtx', '2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx', 'sample_with_a_bad_chunk_magic.evtx']) {
  const file = join(root, 'fixtures/evtx', name)
  let records = 0
  const ours = best(() => {
    records = 0
    const log = new EvtxFile(file)
    for (const {chunk, data} of log.chunks()) {
      if (chunk.state !== 'chunk') continue
      for (const item of chunkRecords(data, chunk)) if (item.kind === 'record') {
        renderXml(item.record.nodes)
        records++
      }
    }
    log.close()
  })
  const lib = evtxexport ? best(() => spawnSync(evtxexport, ['-f', 'xml', file], {stdio: ['ignore', 'ignore', 'ignore']})) : NaN
  const py = evtxDump ? best(() => spawnSync(evtxDump, [file], {stdio: ['ignore', 'ignore', 'ignore']}), 1) : NaN
  console.log(`${name}: ${records} records; trawl ${ours.toFixed(0)} ms (${rate(records, ours)}), evtxexport ${lib.toFixed(0)} ms, python-evtx ${py.toFixed(0)} ms (one run; stops early on damaged files); trawl/evtxexport ${(ours / lib).toFixed(2)}`)
}
console.log(`\nMSIECF reader vs ${msiecfexport ? execFileSync(msiecfexport, ['-V']).toString().split('\n')[0] : 'msiecfexport (absent)'}`)
for (const name of ['grr_index.dat', 'plaso_Content.IE5_index.dat', 'plaso_History.IE5_index.dat']) {
  const file = join(shared, 'browser/ie', name)
  if (!existsSync(file)) continue
  let records = 0
  const ours = best(() => {
    records = readIndexDat(readFileSync(file), name).records.length
  })
  const theirs = msiecfexport ? best(() => spawnSync(msiecfexport, ['-m', 'all', file], {stdio: ['ignore', 'ignore', 'ignore']})) : NaN
  console.log(`${name}: ${records} records; trawl ${ours.toFixed(1)} ms, msiecfexport ${theirs.toFixed(1)} ms (a process start included)`)
}
