#!/usr/bin/env node
// ESE reader speed against libesedb's esedbexport, measured in the same run: every row and
// every value of every table of the three real SRUDB.dat in ../shared/testdata, best of 3, rows per second for each and the trawl / esedbexport time
// ratio. esedbexport also writes its text files (to a scratch folder), which trawl's reader
// does not; the ratio is of a read-everything pass each. Needs `npm run build` and esedbexport.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const shared = process.env.TRAWL_SHARED_DIR ?? resolve(root, '../shared/testdata')
const {EseDatabase} = await import(join(root, 'dist/src/ese/database.js'))
const esedbexport = ['/usr/bin/esedbexport', '/usr/local/bin/esedbexport'].find((p) => existsSync(p))

function best(fn) {
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint()
    fn()
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6)
  }
  return min
}

console.log(`ESE reader vs ${esedbexport ? execFileSync(esedbexport, ['-V']).toString().split('\n')[0] : 'esedbexport (absent)'}`)
for (const name of ['dam_win10_rathbunvm_clean', 'dam_win11_rathbunvm_clean', 'go-ese']) {
  const file = join(shared, 'windows/srum', name, 'SRUDB.dat')
  if (!existsSync(file)) continue
  let rows = 0
  let values = 0
  const ours = best(() => {
    rows = 0
    values = 0
    const database = EseDatabase.open(file)
    for (const table of database.tables()) {
      for (const row of database.rows(table)) {
        rows++
        values += Object.keys(row.values).length
      }
    }
    database.close()
  })
  let theirs = NaN
  if (esedbexport) {
    theirs = best(() => {
      const out = mkdtempSync(join(tmpdir(), 'trawl-bench-ese-'))
      spawnSync(esedbexport, ['-t', join(out, 'x'), file], {stdio: ['ignore', 'ignore', 'ignore']})
      rmSync(out, {recursive: true, force: true})
    })
  }
  const rate = (ms) => (Number.isFinite(ms) ? `${Math.round(rows / (ms / 1000))} rows/s` : '-')
  console.log(`${name}/SRUDB.dat: ${rows} rows, ${values} values; trawl ${ours.toFixed(0)} ms (${rate(ours)}), esedbexport ${theirs.toFixed(0)} ms (${rate(theirs)}), ratio ${(ours / theirs).toFixed(2)}`)
}
