import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {BinXmlError, BinXmlReader, renderXml} from '../../src/evtx/binxml.js'
import {CHUNK_SIZE, chunkRecords, FILE_HEADER_SIZE, parseChunkHeader, parseFileHeader} from '../../src/evtx/evtx-file.js'
import {eventFields} from '../../src/evtx/event.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {evtxexportRecords, flattenRecord, notation, pythonEvtxRecordIds, readAll} from './oracle.js'

const FIX = join(REPO_ROOT, 'fixtures/evtx')
const RCM = '2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx'
const CLEAN = ['Security_short_selected.evtx', 'security.evtx', 'new-user-security.evtx', 'Application_no_crc32.evtx']
const DAMAGED = [RCM, 'sample_with_a_bad_chunk_magic.evtx']
const MISSING: Record<string, string[]> = {[RCM]: [], 'sample_with_a_bad_chunk_magic.evtx': []}

function pythonStatus(name: string): number {
  return Number(readFileSync(join(FIX, `${name}.python-evtx.status`), 'utf8').trim())
}

describe('EVTX reader against evtxexport and python-evtx', () => {
  for (const name of CLEAN) {
    it(`${name}: the same records as both oracles, every element, attribute and value equal to evtxexport's`, () => {
      const {records, damage} = readAll(join(FIX, name))
      expect(damage).toEqual([])
      const mine = records.map(flattenRecord)
      const oracle = evtxexportRecords(join(FIX, `${name}.evtxexport.xml.gz`))
      expect(mine.map((r) => r.recordId)).toEqual(oracle.map((r) => r.recordId))
      expect(pythonStatus(name)).toBe(0)
      expect(mine.map((r) => r.recordId)).toEqual(pythonEvtxRecordIds(join(FIX, `${name}.python-evtx.xml.gz`)))
      for (const [i, r] of mine.entries()) expect(r.lines.map(notation), `record ${r.recordId}`).toEqual(oracle[i]!.lines.map(notation))
    })
  }

  for (const name of DAMAGED) {
    it(`${name}: every record evtxexport reads is read identically; the others come from chunks that fail their checksum`, () => {
      const {records} = readAll(join(FIX, name))
      // keyed by the event's own EventRecordID, as evtxexport shows it: in a chunk partly overwritten by a
      // newer log (a shadow copy's), the record header and the event can carry different identifiers
      const mine = new Map(records.map((r) => [flattenRecord(r).recordId, r]))
      const oracle = evtxexportRecords(join(FIX, `${name}.evtxexport.xml.gz`))
      const missing: string[] = []
      for (const r of oracle) {
        const m = mine.get(r.recordId)
        if (!m) missing.push(r.recordId)
        else expect(flattenRecord(m).lines.map(notation), `record ${r.recordId}`).toEqual(r.lines.map(notation))
      }
      // evtxexport takes fragments of overwritten records out of the stretch trawl reports as damaged
      expect(missing).toEqual(MISSING[name])
      const known = new Set(oracle.map((r) => r.recordId))
      const extra = records.filter((r) => !known.has(flattenRecord(r).recordId))
      const buf = readFileSync(join(FIX, name))
      for (const r of extra) {
        const chunk = parseChunkHeader(buf.subarray(FILE_HEADER_SIZE + r.chunk * CHUNK_SIZE, FILE_HEADER_SIZE + (r.chunk + 1) * CHUNK_SIZE), r.chunk, 0)
        expect(chunk.dataChecksumValid, `record ${r.recordId} in chunk ${r.chunk}`).toBe(false)
      }
    })
  }

  it('RemoteConnectionManager log: 1795 records read (evtxexport 1774, python-evtx stops at 188), one damaged stretch reported', () => {
    const {records, damage} = readAll(join(FIX, RCM))
    expect(records).toHaveLength(1795)
    expect(evtxexportRecords(join(FIX, `${RCM}.evtxexport.xml.gz`))).toHaveLength(1774)
    expect(pythonStatus(RCM)).not.toBe(0)
    expect(pythonEvtxRecordIds(join(FIX, `${RCM}.python-evtx.xml.gz`))).toHaveLength(188)
    expect(damage.map((d) => [d.chunk, d.offset - FILE_HEADER_SIZE - CHUNK_SIZE, d.message])).toEqual([
      [1, 32408, 'event record 463011: unexpected BinXml token 0x73 (at chunk offset 32863)'],
      [1, 32904, 'no valid event record at chunk offset 32904: 240 bytes skipped to the next record'],
    ])
  })

  it('bad chunk signature: the chunk is skipped, the empty chunk is recognised as never written, the rest is read', () => {
    const buf = readFileSync(join(FIX, 'sample_with_a_bad_chunk_magic.evtx'))
    const states = Array.from({length: (buf.length - FILE_HEADER_SIZE) / CHUNK_SIZE}, (_, i) => parseChunkHeader(buf.subarray(FILE_HEADER_SIZE + i * CHUNK_SIZE, FILE_HEADER_SIZE + (i + 1) * CHUNK_SIZE), i, 0).state)
    expect(states.flatMap((s, i) => (s === 'bad-signature' ? [i] : []))).toEqual([6, 10])
    expect(states[5]).toBe('empty')
    expect(readAll(join(FIX, 'sample_with_a_bad_chunk_magic.evtx')).records).toHaveLength(301)
  })

  it('file header: version 3.1, checksum valid, flags read; a file that is not EVTX is refused', () => {
    const header = parseFileHeader(readFileSync(join(FIX, 'security.evtx')).subarray(0, 4096), 'security.evtx')
    expect(header).toMatchObject({majorVersion: 3, minorVersion: 1, checksumValid: true})
    expect(typeof header.dirty).toBe('boolean')
    expect(() => parseFileHeader(Buffer.alloc(4096), 'zero')).toThrow(/not an EVTX file/)
  })

  it('4625 failed logon of Security_short_selected: fields by name, time at 100 ns', () => {
    const {records} = readAll(join(FIX, 'Security_short_selected.evtx'))
    const failed = records.map((r) => eventFields(r.nodes)).find((f) => f.eventId === 4625)!
    expect(failed).toMatchObject({provider: 'Microsoft-Windows-Security-Auditing', channel: 'Security', computer: 'temporal'})
    expect(failed.timeCreated).toMatch(/^2016-06-29T\d\d:\d\d:\d\d\.\d{7}Z$/)
    expect(failed.data.get('LogonType')).toBe('10')
    expect(renderXml(records[0]!.nodes)).toContain('<Data Name="SourceAddress">23.94.153.202</Data>')
  })
})

describe('EVTX chunk and BinXml parsers on arbitrary bytes', () => {
  const chunk = readFileSync(join(FIX, 'Security_short_selected.evtx')).subarray(FILE_HEADER_SIZE, FILE_HEADER_SIZE + CHUNK_SIZE)

  it('a chunk with any bytes overwritten yields records or damage reports, never a throw or a hang', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 0, max: CHUNK_SIZE - 1}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 40}), (edits) => {
        const copy = Buffer.from(chunk)
        for (const [at, byte] of edits) copy[at] = byte
        const header = parseChunkHeader(copy, 0, FILE_HEADER_SIZE)
        if (header.state !== 'chunk') return
        let items = 0
        for (const item of chunkRecords(copy, header)) {
          items++
          expect(['record', 'damage']).toContain(item.kind)
        }
        expect(items).toBeLessThanOrEqual(CHUNK_SIZE / 8)
      }),
      {numRuns: 300},
    )
  })

  it('BinXml of random bytes either parses or fails with a BinXmlError carrying its offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 1, maxLength: 600}), (bytes) => {
        const data = Buffer.alloc(CHUNK_SIZE)
        Buffer.from(bytes).copy(data, 512)
        try {
          new BinXmlReader({data, names: new Map(), templates: new Map()}, 512, 512 + bytes.length).fragment()
        } catch (error) {
          expect(error).toBeInstanceOf(BinXmlError)
        }
      }),
      {numRuns: 500},
    )
  })
})
