import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {ParseError} from '../../src/errors.js'
import {PlistDate, parseBinaryPlist, parsePlist, type PlistValue} from '../../src/parsers/chat/plist.js'
import {REPO_ROOT} from '../helpers/shared.js'

const UDID = '00008030-001A2B3C4D5E802E'
const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures/chat/plist-golden.json'), 'utf8')) as Record<string, unknown>

/** Same shape as build.sh writes the golden: dates ISO, data as {base64}. */
function asGolden(v: PlistValue): unknown {
  if (v instanceof PlistDate) return v.iso
  if (Buffer.isBuffer(v)) return {base64: v.toString('base64')}
  if (Array.isArray(v)) return v.map(asGolden)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asGolden(x)]))
  return v
}

describe('property lists, compared with what python plistlib wrote', () => {
  it('reads the XML Info.plist like plistlib', () => {
    const value = parsePlist(readFileSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup', UDID, 'Info.plist')), 'Info.plist')
    expect(asGolden(value)).toEqual(golden['Info.plist'])
  })

  it('reads the binary Manifest.plist (plain and encrypted) like plistlib', () => {
    expect(asGolden(parsePlist(readFileSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup', UDID, 'Manifest.plist')), 'Manifest.plist'))).toEqual(golden['Manifest.plist'])
    expect(asGolden(parsePlist(readFileSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup-encrypted', UDID, 'Manifest.plist')), 'Manifest.plist'))).toEqual(golden['Manifest.plist (encrypted)'])
  })

  it('rejects a binary plist whose array contains itself instead of looping', () => {
    // objects: 0 = array [ref 0]; offset table at 10; trailer: offset size 1, ref size 1, 1 object, top 0, table at 10
    const body = Buffer.from([...Buffer.from('bplist00'), 0xa1, 0x00, 0x08])
    const trailer = Buffer.alloc(32)
    trailer[6] = 1
    trailer[7] = 1
    trailer.writeBigUInt64BE(1n, 8)
    trailer.writeBigUInt64BE(0n, 16)
    trailer.writeBigUInt64BE(10n, 24)
    expect(() => parseBinaryPlist(Buffer.concat([body, trailer]), 'loop.plist')).toThrow(/contains itself/)
  })

  it('stops a small plist whose shared arrays fan out exponentially', () => {
    // object i (i < 40) is an array [i+1, i+1]; object 40 is 'x': 2^40 leaves if decoded naively
    const objects: Buffer[] = []
    for (let i = 0; i < 40; i++) objects.push(Buffer.from([0xa2, i + 1, i + 1]))
    objects.push(Buffer.from([0x51, 0x78]))
    const offsets: number[] = []
    let at = 8
    for (const o of objects) {
      offsets.push(at)
      at += o.length
    }
    const table = Buffer.alloc(objects.length * 2)
    offsets.forEach((o, i) => table.writeUInt16BE(o, i * 2))
    const trailer = Buffer.alloc(32)
    trailer[6] = 2
    trailer[7] = 1
    trailer.writeBigUInt64BE(BigInt(objects.length), 8)
    trailer.writeBigUInt64BE(0n, 16)
    trailer.writeBigUInt64BE(BigInt(at), 24)
    expect(() => parseBinaryPlist(Buffer.concat([Buffer.from('bplist00'), ...objects, table, trailer]), 'bomb.plist')).toThrow(/fan out/)
  })

  it('never throws anything but a ParseError on truncated or corrupted binary plists', () => {
    const good = readFileSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup', UDID, 'Manifest.plist'))
    fc.assert(
      fc.property(fc.integer({min: 0, max: good.length - 1}), fc.integer({min: 0, max: 255}), fc.integer({min: 1, max: good.length}), (at, byte, cut) => {
        const damaged = Buffer.from(good.subarray(0, cut))
        if (at < damaged.length) damaged[at] = byte
        try {
          parsePlist(damaged, 'damaged.plist')
        } catch (error) {
          if (!(error instanceof ParseError)) throw error
        }
      }),
      {numRuns: 2000},
    )
  })
})
