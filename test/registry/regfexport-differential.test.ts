import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {RegistryHive} from '../../src/registry/hive.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {compareWithRegfexport, parseRegfexport, readGolden} from './regfexport-golden.js'

const GOLDEN = join(REPO_ROOT, 'fixtures/registry/golden')

const HIVES: Array<[string, string, number, number]> = [
  // shared file, golden name, keys, values (counted in the regfexport golden)
  ['registry/plaso_regf_NTUSER.DAT', 'plaso_regf_NTUSER.DAT', 1597, 2310],
  ['registry/artemis_win10_NTUSER.DAT', 'artemis_win10_NTUSER.DAT', 666, 1089],
  ['registry/plaso_NTUSER.DAT', 'plaso_NTUSER.DAT', 1127, 5602],
  ['registry/plaso_regf_SAM', 'plaso_regf_SAM', 76, 84],
  ['registry/dfwinreg_SECURITY', 'dfwinreg_SECURITY', 101, 110],
  ['registry/regipy/NTUSER.DAT', 'regipy_NTUSER.DAT', 1812, 4094],
  ['registry/regipy/SYSTEM', 'regipy_SYSTEM', 30756, 73456],
]

describeShared('registry hives read the same as regfexport (libregf 20201007)', () => {
  for (const [file, golden, expectedKeys, expectedValues] of HIVES) {
    it(`${golden}: every key, class name and value equals regfexport's`, () => {
      // the golden was made from exactly this file (fixtures/registry/golden/SOURCES)
      const sources = new Map(readFileSync(join(GOLDEN, 'SOURCES'), 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]))
      expect(createHash('sha256').update(readFileSync(sharedFile(file))).digest('hex')).toBe(sources.get(golden))
      const exported = parseRegfexport(readGolden(join(GOLDEN, `${golden}.regfexport.txt.br`)))
      const hive = RegistryHive.open(sharedFile(file))
      const problems = compareWithRegfexport(hive, exported)
      expect(problems).toEqual([])
      const valueCount = exported.reduce((n, k) => n + k.values.length, 0)
      expect(exported.length).toBe(expectedKeys)
      expect(valueCount).toBe(expectedValues)
    })
  }
})
