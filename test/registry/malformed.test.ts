import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, TrawlError} from '../../src/errors.js'
import {parseBigData, parseKeyNode, parseSecurityKey, parseSubkeyList, parseValueKey, parseValueList} from '../../src/registry/cells.js'
import {RegistryHive} from '../../src/registry/hive.js'
import {buildTestHive, fieldAt} from './build-hive.js'

/** Reads every key and value of a hive, as `registry ls --recursive` does. */
function readEverything(hive: RegistryHive): number {
  let n = 0
  for (const key of hive.root().walk()) {
    n++
    void key.lastWritten
    void key.className
    for (const value of key.values()) {
      void value.decoded
      n++
    }
  }
  return n
}

describe('malformed hives: typed errors, no crash, no hang', () => {
  it('reads the well-formed test hive', () => {
    const t = buildTestHive(['Alpha', 'Beta'], [
      {name: 'small', type: 4, data: Buffer.from([7, 0, 0, 0])},
      {name: 'text', type: 1, data: Buffer.from('hello\0', 'utf16le')},
    ])
    const hive = new RegistryHive(t.data, 'test')
    expect(hive.root().subkeys().map((k) => k.name)).toEqual(['Alpha', 'Beta'])
    expect(hive.root().value('small')!.asNumber()).toBe(7)
    expect(hive.root().value('TEXT')!.asString()).toBe('hello')
    expect(readEverything(hive)).toBe(5)
  })

  it('a subkey-list offset outside every hive bin is a CorruptImageError with the offset', () => {
    const t = buildTestHive()
    t.data.writeUInt32LE(0x7fff0000, fieldAt(t.rootOffset, 28))
    const hive = new RegistryHive(t.data, 'test')
    expect(() => hive.root().subkeys()).toThrow(CorruptImageError)
    expect(() => hive.root().subkeys()).toThrow(/outside every hive bin.*at offset/)
  })

  it('a cell whose size runs past the end of its hive bin is refused', () => {
    const t = buildTestHive()
    t.data.writeInt32LE(-0x2000, 4096 + t.subkeyListOffset)
    const hive = new RegistryHive(t.data, 'test')
    expect(() => hive.root().subkeys()).toThrow(/runs outside its hive bin/)
  })

  it('an index root (ri) that lists itself is a loop, not a hang', () => {
    const t = buildTestHive()
    const at = 4096 + t.subkeyListOffset + 4
    t.data.write('ri', at, 'latin1')
    t.data.writeUInt16LE(1, at + 2)
    t.data.writeUInt32LE(t.subkeyListOffset, at + 4)
    const hive = new RegistryHive(t.data, 'test')
    expect(() => hive.root().subkeys()).toThrow(/loop/)
  })

  it('a key whose subkey list leads back to its parent is a loop when walked', () => {
    const t = buildTestHive(['Alpha'])
    // Alpha's subkey list is the root's list, which holds Alpha: Alpha -> Alpha -> ...
    t.data.writeUInt32LE(1, fieldAt(t.childOffsets[0], 20))
    t.data.writeUInt32LE(t.subkeyListOffset, fieldAt(t.childOffsets[0], 28))
    const hive = new RegistryHive(t.data, 'test')
    expect(() => [...hive.root().walk()]).toThrow(/reached twice/)
  })

  it('a huge element count in a small list cell is refused before reading', () => {
    const t = buildTestHive()
    t.data.writeUInt16LE(0xffff, 4096 + t.subkeyListOffset + 4 + 2)
    const hive = new RegistryHive(t.data, 'test')
    expect(() => hive.root().subkeys()).toThrow(/65535 elements/)
    const v = buildTestHive(['A'], [{name: 'x', type: 4, data: Buffer.from([1, 0, 0, 0])}])
    v.data.writeUInt32LE(0x40000000, fieldAt(v.rootOffset, 36))
    expect(() => new RegistryHive(v.data, 'test').root().values()).toThrow(CorruptImageError)
  })

  it('a file that is not a hive, or has no hive bin, is a CorruptImageError', () => {
    expect(() => new RegistryHive(Buffer.from('not a hive at all'), 'x')).toThrow(CorruptImageError)
    const t = buildTestHive()
    expect(() => new RegistryHive(t.data.subarray(0, 4096), 'x')).toThrow(/no hive bin/)
  })
})

describe('cell parsers (property-based)', () => {
  const parsers: Array<[string, (b: Buffer) => unknown]> = [
    ['nk', (b) => parseKeyNode(b, 0)],
    ['vk', (b) => parseValueKey(b, 0)],
    ['sk', (b) => parseSecurityKey(b, 0)],
    ['subkey list', (b) => parseSubkeyList(b, 0)],
    ['db', (b) => parseBigData(b, 0)],
    ['values list', (b) => parseValueList(b, b.length > 0 ? b[0] * 16 : 0, 0)],
  ]
  for (const [name, parse] of parsers) {
    it(`${name}: any bytes either parse or raise CorruptImageError`, () => {
      const signatures = ['nk', 'vk', 'sk', 'lf', 'lh', 'li', 'ri', 'db']
      fc.assert(
        fc.property(fc.constantFrom(...signatures), fc.uint8Array({maxLength: 300}), (sig, bytes) => {
          const data = Buffer.concat([Buffer.from(sig, 'latin1'), Buffer.from(bytes)])
          try {
            parse(data)
          } catch (error) {
            expect(error).toBeInstanceOf(CorruptImageError)
          }
        }),
        {numRuns: 2000},
      )
    })
  }

  it('a subkey list never yields more elements than its cell holds', () => {
    fc.assert(
      fc.property(fc.constantFrom('lf', 'lh', 'li', 'ri'), fc.integer({min: 0, max: 0xffff}), fc.uint8Array({maxLength: 200}), (sig, count, rest) => {
        const data = Buffer.alloc(4 + rest.length)
        data.write(sig, 0, 'latin1')
        data.writeUInt16LE(count, 2)
        Buffer.from(rest).copy(data, 4)
        try {
          const list = parseSubkeyList(data, 0)
          expect(list.offsets.length).toBe(count)
          expect(4 + count * (sig === 'lf' || sig === 'lh' ? 8 : 4)).toBeLessThanOrEqual(data.length)
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptImageError)
        }
      }),
      {numRuns: 2000},
    )
  })

  it('random corruption of a hive bin: reading the whole tree ends in data or a TrawlError', () => {
    const base = buildTestHive(['Alpha', 'Beta', 'Gamma'], [
      {name: 'dw', type: 4, data: Buffer.from([1, 2, 3, 4])},
      {name: 'sz', type: 1, data: Buffer.from('text value\0', 'utf16le')},
      {name: 'multi', type: 7, data: Buffer.from('a\0b\0\0', 'utf16le')},
    ])
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({min: 4096 + 32, max: 4096 + 700}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 12}), (edits) => {
        const data = Buffer.from(base.data)
        for (const [at, byte] of edits) data[at] = byte
        try {
          readEverything(new RegistryHive(data, 'fuzz'))
        } catch (error) {
          expect(error).toBeInstanceOf(TrawlError)
        }
      }),
      {numRuns: 3000},
    )
  })
})
