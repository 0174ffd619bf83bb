#!/usr/bin/env node
// Registry reader speed against libregf's regfexport, measured in the same run.
// Reads every key and value (decoding each value) of the real hives in ../shared/testdata,
// best of 3, and prints trawl / regfexport time ratios. Needs `npm run build` and regfexport.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const shared = process.env.TRAWL_SHARED_DIR ?? resolve(root, '../shared/testdata')
const {RegistryHive} = await import(join(root, 'dist/src/registry/hive.js'))

const hives = ['registry/regipy/SYSTEM', 'registry/plaso_NTUSER.DAT', 'registry/regipy/NTUSER.DAT']
const regfexport = ['/usr/bin/regfexport', '/usr/local/bin/regfexport'].find((p) => existsSync(p))

function best(fn) {
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint()
    fn()
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6)
  }
  return min
}

console.log(`registry reader vs ${regfexport ? execFileSync(regfexport, ['-V']).toString().split('\n')[0] : 'regfexport (absent)'}`)
for (const rel of hives) {
  const file = join(shared, rel)
  if (!existsSync(file)) continue
  let keys = 0
  let values = 0
  const ours = best(() => {
    keys = 0
    values = 0
    const hive = RegistryHive.open(file)
    for (const key of hive.root().walk()) {
      keys++
      void key.lastWritten
      for (const v of key.values()) {
        void v.decoded
        values++
      }
    }
  })
  const theirs = regfexport ? best(() => spawnSync(regfexport, [file], {stdio: ['ignore', 'ignore', 'ignore']})) : NaN
  console.log(`${rel}: ${keys} keys, ${values} values; trawl ${ours.toFixed(0)} ms, regfexport ${theirs.toFixed(0)} ms, ratio ${(ours / theirs).toFixed(2)}`)
}
