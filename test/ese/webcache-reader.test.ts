/**
 * The reader on the WebCacheV01.dat-like fixture against esedbexport's export of it
 * (fixtures/ese/webcache/build.sh): every table, row and column. The fixture is written by
 * trawl's test writer; esedbexport reading it the same way is the check that both follow
 * the format (7-bit compressed UTF-16 URLs, tagged, variable and fixed columns, a catalog
 * spread over a branch and leaf pages).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {EseDatabase} from '../../src/ese/database.js'
import {buildEseDatabase} from './build-ese.js'
import {ctimeOfFiletime, expectedCell} from './esedbexport-form.js'
import {webcacheTables} from './webcache-fixture.js'
import {REPO_ROOT} from '../helpers/shared.js'

const DIR = join(REPO_ROOT, 'fixtures/ese/webcache')

it('the committed fixture is what the writer writes', () => {
  expect(Buffer.compare(readFileSync(join(DIR, 'WebCacheV01.dat')), buildEseDatabase(webcacheTables()))).toBe(0)
})

it('every value of every table equals esedbexport', () => {
  const database = EseDatabase.open(join(DIR, 'WebCacheV01.dat'))
  expect(database.tables().map((t) => t.name)).toEqual(['Containers', 'Container_1', 'Container_2', 'Container_3', 'Container_4'])
  let cells = 0
  for (const table of database.tables()) {
    const lines = readFileSync(join(DIR, 'esedbexport', `${table.name}.tsv`), 'utf8').split('\n').filter((l) => l !== '')
    expect(lines.shift()!.split('\t')).toEqual(table.columns.map((c) => c.name))
    const rows = [...database.rows(table)]
    expect(rows).toHaveLength(lines.length)
    rows.forEach((row, index) => {
      const golden = lines[index]!.split('\t')
      table.columns.forEach((column, at) => {
        const value = row.values[column.name]
        // webcache.c prints the time columns (64-bit integers) as FILETIMEs.
        const expected = /^\w{3} \d\d, \d{4} /.test(golden[at]!) && typeof value === 'bigint' ? ctimeOfFiletime(value) : expectedCell(value, column, false)
        expect(`${table.name} row ${index + 1} ${column.name}: ${expected}`).toBe(`${table.name} row ${index + 1} ${column.name}: ${golden[at] ?? ''}`)
        cells++
      })
    })
  }
  expect(cells).toBe(11 * 4 + 23 * 6)
  expect(database.problems).toEqual([])
})
