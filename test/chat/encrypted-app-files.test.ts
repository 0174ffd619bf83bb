import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {sniffFormat} from '../../src/parsers/chat/encrypted-app-files.js'

describe('what the first bytes of a messenger file say', () => {
  it('names SQLite, Telegram TDF$ with its version, DPAPI blobs, text; anything else is "cannot tell", never "not encrypted"', () => {
    expect(sniffFormat(Buffer.from('SQLite format 3\0' + 'x'.repeat(20), 'latin1'))).toEqual({format: 'plain SQLite database', encrypted: false})
    const tdf = Buffer.concat([Buffer.from('TDF$'), Buffer.from([0xb9, 0x56, 0x4c, 0x00]), Buffer.alloc(8)])
    expect(sniffFormat(tdf)).toEqual({format: 'Telegram Desktop file (TDF$, app version 5002937)', encrypted: true})
    const dpapi = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('d08c9ddf0115d1118c7a00c04fc297eb', 'hex'), Buffer.alloc(8)])
    expect(sniffFormat(dpapi).format).toBe('DPAPI blob')
    expect(sniffFormat(Buffer.from('MANIFEST-000001\n'))).toEqual({format: 'text', encrypted: false})
    expect(sniffFormat(Buffer.alloc(0))).toEqual({format: 'empty file', encrypted: false})
    expect(sniffFormat(Buffer.from([0x00, 0xff, 0x10, 0x80])).encrypted).toBeNull()
  })

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 64}), (bytes) => {
        const found = sniffFormat(Buffer.from(bytes))
        expect([true, false, null]).toContain(found.encrypted)
      }),
    )
  })
})
