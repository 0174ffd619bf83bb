/**
 * Differential test of trawl's ESE reader against esedbexport (libesedb-utils
 * 20181229): every table, every row and every column of the three real SRUDB.dat in
 * ../shared/testdata/windows/srum/. The goldens are esedbexport's own output
 * (scripts/ese-goldens.sh); the rendering rules are in esedbexport-form.ts.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {afterAll, beforeAll, expect, it} from 'vitest'
import {EseDatabase} from '../../src/ese/database.js'
import {scalar} from '../../src/ese/record.js'
import {describeShared, REPO_ROOT, sharedFile} from '../helpers/shared.js'
import {expectedCell} from './esedbexport-form.js'

const GOLDENS = join(REPO_ROOT, 'fixtures/ese/srum')

for (const name of ['dam_win10_rathbunvm_clean', 'dam_win11_rathbunvm_clean', 'go-ese']) {
  describeShared(`ESE reader = esedbexport on ${name}/SRUDB.dat`, () => {
    let database: EseDatabase
    beforeAll(() => {
      database = EseDatabase.open(sharedFile(`windows/srum/${name}/SRUDB.dat`))
    })
    afterAll(() => database.close())
    const tables = readFileSync(join(GOLDENS, name, 'tables.txt'), 'utf8').trim().split('\n')

    it('lists the tables esedbexport exports, in catalog order, and reads the file without problems', () => {
      expect(database.tables().map((table) => table.name)).toEqual(tables)
      expect(database.header.stateName).toBe('clean shutdown')
      expect(database.problems).toEqual([])
    })

    for (const tableName of tables) {
      it(`table ${tableName}: same columns, same rows, same values`, () => {
        const lines = gunzipSync(readFileSync(join(GOLDENS, name, `${tableName}.tsv.gz`))).toString('utf8').split('\n')
        if (lines.at(-1) === '') lines.pop()
        const header = lines.shift()!.split('\t')
        const table = database.table(tableName)!
        expect(table.columns.map((column) => column.name)).toEqual(header)
        const rows = [...database.rows(table)]
        expect(rows.length).toBe(lines.length)
        // esedbexport's SRUM rules (srumdb.c) apply to the tables named by a GUID alone.
        const srum = /^\{[0-9A-F-]{36}\}$/i.test(tableName)
        let cells = 0
        let staleCells = 0
        const mismatches: string[] = []
        rows.forEach((row, index) => {
          const golden = lines[index]!.split('\t')
          table.columns.forEach((column, at) => {
            // esedbexport ignores the fixed-column NULL bitmap and prints the bytes left in the slot.
            const stale = row.nullFixed[column.name]
            if (stale) staleCells++
            const expected = expectedCell(stale ? scalar(column, stale) : row.values[column.name], column, srum)
            const cell = golden[at] ?? ''
            const same = typeof expected === 'function' ? expected(cell) : expected === cell
            if (!same && mismatches.length < 5) mismatches.push(`row ${index + 1} ${column.name}: esedbexport '${cell}', trawl '${typeof expected === 'function' ? String(row.values[column.name]) : expected}'`)
            cells++
          })
        })
        expect(mismatches).toEqual([])
        expect(cells).toBe(rows.length * header.length)
        if (rows.length > 0) expect(staleCells).toBeLessThan(cells)
      })
    }
  })
}
