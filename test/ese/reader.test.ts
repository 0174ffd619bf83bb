/**
 * The ESE reader on a real SRUDB.dat (the go-ese golden) and on damaged copies of it:
 * a broken header falls back to the shadow, a dirty header is reported, broken pages
 * become problems and the rest of the table is still read, and nothing hangs.
 */
import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import {beforeAll, expect, it} from 'vitest'
import {bufferReader, EseDatabase} from '../../src/ese/database.js'
import {xorChecksum} from '../../src/ese/header.js'
import {parseEntry, parsePage} from '../../src/ese/page.js'
import {makeTable} from '../../src/ese/catalog.js'
import {decodeRecord} from '../../src/ese/record.js'
import {describeShared, sharedFile} from '../helpers/shared.js'

const NETWORK_DATA_USAGE_NOTIFICATIONS = '{D10CA2FE-6FCF-4F6D-848E-B2E99266FA86}'

describeShared('ESE reader on the go-ese SRUDB.dat', () => {
  let original: Buffer
  beforeAll(() => {
    original = readFileSync(sharedFile('windows/srum/go-ese/SRUDB.dat'))
  })
  const open = (bytes: Buffer): EseDatabase => new EseDatabase(bufferReader(bytes), 'SRUDB.dat')

  it('gives the two rows go-ese\'s golden shows for {D10CA2FE-...-FA86}', () => {
    const database = open(original)
    const rows = [...database.rows(database.table(NETWORK_DATA_USAGE_NOTIFICATIONS)!)].slice(0, 2)
    expect(rows.map((row) => ({...row.values, TimeStamp: String(row.values.TimeStamp)}))).toEqual([
      {AutoIncId: 1, TimeStamp: '2021-10-07T08:26:00.000Z', AppId: 189, UserId: 155, NotificationType: 1, PayloadSize: 1124, NetworkType: 0},
      {AutoIncId: 2, TimeStamp: '2021-10-07T08:26:00.000Z', AppId: 190, UserId: 155, NotificationType: 1, PayloadSize: 4300, NetworkType: 0},
    ])
    expect(database.header).toMatchObject({pageSize: 4096, stateName: 'clean shutdown', copy: 'primary', osVersion: '10.0.19041'})
  })

  it('reads the shadow header when the primary is overwritten, and says so', () => {
    const damaged = Buffer.from(original)
    damaged.fill(0xee, 0, 700)
    const database = open(damaged)
    expect(database.header.copy).toBe('shadow')
    expect(database.problems[0]!.message).toMatch(/primary header: no ESE signature/)
    expect(database.tables().length).toBe(14)
  })

  it('refuses a file with neither header copy sound, in one line', () => {
    const damaged = Buffer.from(original)
    damaged.fill(0, 0, 8192)
    expect(() => open(damaged)).toThrow(/not a usable ESE database/)
  })

  it('reports a dirty shutdown from the header and reads what is there', () => {
    const dirty = Buffer.from(original)
    dirty.writeUInt32LE(2, 52)
    dirty.writeUInt32LE(xorChecksum(dirty.subarray(0, 4096), 4, 0x89abcdef), 0)
    const database = open(dirty)
    expect(database.dirty).toBe(true)
    expect(database.header.stateName).toBe('dirty shutdown')
    expect([...database.rows(database.table(NETWORK_DATA_USAGE_NOTIFICATIONS)!)].length).toBe(10)
  })

  it('turns a zeroed leaf page into a problem and still reads the other pages of the table', () => {
    const database = open(original)
    const table = database.table('SruDbIdMapTable')!
    const pages = new Set([...database.rows(table)].map((row) => row.page))
    const victim = [...pages][1]!
    const damaged = Buffer.from(original)
    damaged.fill(0, (victim + 1) * 4096, (victim + 2) * 4096)
    const again = open(damaged)
    const rows = [...again.rows(again.table('SruDbIdMapTable')!)]
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.length).toBeLessThan(1141)
    expect(again.problems.some((problem) => problem.page === victim)).toBe(true)
  })

  it('ends on a tree whose branch points back at itself', () => {
    const database = open(original)
    const table = database.table('{5C8CF1C7-7257-4F13-B223-970EF5939312}')!
    const damaged = Buffer.from(original)
    // Every child pointer of the root now names the root: the walk must stop, not loop.
    const root = parsePage(damaged.subarray((table.rootPage + 1) * 4096, (table.rootPage + 2) * 4096), table.rootPage, database.layout)
    for (const tag of root.tags.slice(1)) {
      const entry = parseEntry(root.bytes.subarray(tag.offset, tag.offset + tag.size), tag, Buffer.alloc(0))
      if (entry) root.bytes.writeUInt32LE(table.rootPage, tag.offset + tag.size - 4)
    }
    const again = open(damaged)
    expect([...again.rows(again.table(table.name)!)].length).toBe(0)
    expect(again.problems.some((problem) => /reached twice/.test(problem.message))).toBe(true)
  })

  it('survives any single corrupted byte range in any page (fast-check): problems, never a hang or a crash', () => {
    const pageCount = original.length / 4096 - 1
    fc.assert(
      fc.property(fc.integer({min: 1, max: pageCount - 1}), fc.integer({min: 0, max: 4095}), fc.uint8Array({minLength: 1, maxLength: 64}), (page, at, junk) => {
        const damaged = Buffer.from(original)
        damaged.set(junk.subarray(0, 4096 - at), (page + 1) * 4096 + at)
        let database: EseDatabase
        try {
          database = open(damaged)
        } catch (error) {
          // Only the catalog can make the whole file unusable, and then with a typed one-line error.
          expect((error as Error).name).toBe('CorruptImageError')
          return
        }
        for (const table of database.tables()) for (const _row of database.rows(table));
      }),
      {numRuns: 25},
    )
  })
})

it('page, entry and record parsers never throw on arbitrary bytes (fast-check)', () => {
  const layout = {pageSize: 4096, formatRevision: 0x14}
  const table = makeTable('t', 9, 9, [
    {id: 1, name: 'a', type: 4, typeName: '', size: 4, flags: 0, codepage: 0, multiValued: false},
    {id: 128, name: 'b', type: 10, typeName: '', size: 0, flags: 0, codepage: 1200, multiValued: false},
    {id: 256, name: 'c', type: 11, typeName: '', size: 0, flags: 0, codepage: 0, multiValued: true},
  ])
  fc.assert(
    fc.property(fc.uint8Array({minLength: 4096, maxLength: 4096}), (bytes) => {
      const page = parsePage(Buffer.from(bytes), 7, layout)
      for (const tag of page.tags) {
        const entry = parseEntry(page.bytes.subarray(tag.offset, tag.offset + tag.size), tag, Buffer.alloc(8))
        if (!entry) continue
        try {
          decodeRecord(entry.data, table, layout, {headers: new Map(), segments: new Map()})
        } catch (error) {
          // A record that does not decode says why, as an Error the reader turns into a problem.
          expect(error).toBeInstanceOf(Error)
        }
      }
    }),
    {numRuns: 200},
  )
})
