/**
 * A real SRUDB.dat in dirty shutdown state (DFIRArtifactMuseum Win11 RathbunVM "Dirty",
 * fixtures/ese/README.md): read as it is, reported dirty, and every row of every table
 * the same as in the recovered ("Clean") copy of the same database, whose rows the
 * esedbexport differential checks.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {expect, it} from 'vitest'
import {valueToJson} from '../../src/ese/browse.js'
import {bufferReader, EseDatabase} from '../../src/ese/database.js'
import {describeShared, REPO_ROOT, sharedFile} from '../helpers/shared.js'

const dirtyBytes = (): Buffer => gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/ese/srum-dirty/win11_rathbunvm_dirty_SRUDB.dat.gz')))

describeShared('a real dirty SRUDB.dat', () => {
  it('is read as dirty, without problems, row for row as its recovered copy', () => {
    const dirty = new EseDatabase(bufferReader(dirtyBytes()), 'SRUDB.dat (dirty)')
    const clean = EseDatabase.open(sharedFile('windows/srum/dam_win11_rathbunvm_clean/SRUDB.dat'))
    expect(dirty.header).toMatchObject({stateName: 'dirty shutdown', copy: 'primary', formatRevision: 0xc8})
    expect(dirty.dirty).toBe(true)
    expect(dirty.problems).toEqual([])
    const rowsOf = (database: EseDatabase, name: string): string[] =>
      [...database.rows(database.table(name)!)].map((row) => JSON.stringify(Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, valueToJson(v)]))))
    expect(dirty.tables().map((t) => t.name)).toEqual(clean.tables().map((t) => t.name))
    let rows = 0
    for (const table of dirty.tables()) {
      const mine = rowsOf(dirty, table.name)
      expect(mine).toEqual(rowsOf(clean, table.name))
      rows += mine.length
    }
    expect(rows).toBe(4034)
    clean.close()
  })
})
