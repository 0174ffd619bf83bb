import {describe, expect, it} from 'vitest'
import {filetimeToIso} from '../../src/time.js'
import {RegistryHive} from '../../src/registry/hive.js'
import {describeShared, sharedFile} from '../helpers/shared.js'

describeShared('registry hive reader on real hives: values other tools report', () => {
  it('plaso_regf_NTUSER.DAT: TypedURLs url1..url5 and last written 2016-10-05T09:47:50.9674171 (plaso typedurls test)', () => {
    const hive = RegistryHive.open(sharedFile('registry/plaso_regf_NTUSER.DAT'))
    expect(hive.dirty).toBe(false)
    const key = hive.key('Software\\Microsoft\\Internet Explorer\\TypedURLs')
    expect(key).toBeDefined()
    expect(key!.lastWritten).toBe('2016-10-05T09:47:50.9674171Z')
    expect(key!.values().map((v) => [v.name, v.asString()])).toEqual([
      ['url1', 'http://www.catnews.com/'],
      ['url2', 'http://spotify.com/'],
      ['url3', 'http://pintrest.com/'],
      ['url4', 'http://webmail.student.greendale.xyz/'],
      ['url5', 'http://go.microsoft.com/fwlink/p/?LinkId=255141'],
    ])
    // lookups are case-insensitive, as in Windows
    expect(hive.key('software\\MICROSOFT\\internet explorer\\typedurls')!.offset).toBe(key!.offset)
    expect(key!.value('URL3')!.asString()).toBe('http://pintrest.com/')
  })

  it('plaso_regf_SAM: Administrator, RID 500, 3 logins, last login 2014-03-18T10:20:47.3414256 (plaso sam_users test)', () => {
    const hive = RegistryHive.open(sharedFile('registry/plaso_regf_SAM'))
    const names = hive.key('SAM\\Domains\\Account\\Users\\Names')!.subkeys().map((k) => k.name)
    expect(names).toContain('Administrator')
    // the Names\<user> key's default value type is the RID (libregf "Data types", notes: seen in SAM)
    const admin = hive.key('SAM\\Domains\\Account\\Users\\Names\\Administrator')!
    expect(admin.values()[0].type).toBe(0x1f4)
    const f = hive.key('SAM\\Domains\\Account\\Users\\000001F4')!.value('F')!.data
    // SAM F value: last login FILETIME at 8, password last set at 24, RID at 48, login count at 66
    expect(filetimeToIso(f.readBigUInt64LE(8))).toBe('2014-03-18T10:20:47.3414256Z')
    expect(filetimeToIso(f.readBigUInt64LE(24))).toBe('2014-03-18T10:20:51.0757954Z')
    expect(f.readUInt32LE(48)).toBe(500)
    expect(f.readUInt16LE(66)).toBe(3)
  })

  it('regipy SYSTEM: computer name WKS-WIN732BITA, big data (db) value of 197 444 bytes read whole', () => {
    const hive = RegistryHive.open(sharedFile('registry/regipy/SYSTEM'))
    expect(hive.baseBlock.minorVersion).toBeGreaterThan(3) // big data (db) exists from version 1.4
    expect(hive.key('ControlSet001\\Control\\ComputerName\\ComputerName')!.value('ComputerName')!.asString()).toBe('WKS-WIN732BITA')
    let largest = 0
    for (const key of hive.root().walk()) for (const value of key.values()) largest = Math.max(largest, value.data.length)
    expect(largest).toBe(197444)
  })

  it('class names and base block of plaso_NTUSER.DAT', () => {
    const hive = RegistryHive.open(sharedFile('registry/plaso_NTUSER.DAT'))
    expect(hive.root().name).toBe('$$$PROTO.HIV')
    expect(hive.key('Software\\Intel')!.className).toBe('Application User Data')
    expect(hive.baseBlock.checksumValid).toBe(true)
    expect(hive.replay?.applied).toEqual([])
  })
})

describe('registry value types', () => {
  it('decodes every documented type', async () => {
    const {decodeValueData} = await import('../../src/registry/value-data.js')
    const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le')
    expect(decodeValueData(1, utf16('abc\0junk'))).toEqual({kind: 'string', value: 'abc'})
    expect(decodeValueData(2, utf16('%SystemRoot%\0'))).toEqual({kind: 'string', value: '%SystemRoot%'})
    expect(decodeValueData(6, utf16('\\Registry\\Machine'))).toEqual({kind: 'string', value: '\\Registry\\Machine'})
    expect(decodeValueData(7, utf16('a\0bc\0\0'))).toEqual({kind: 'strings', value: ['a', 'bc']})
    expect(decodeValueData(7, utf16('a\0bc'))).toEqual({kind: 'strings', value: ['a', 'bc']})
    expect(decodeValueData(4, Buffer.from([1, 2, 0, 0]))).toEqual({kind: 'integer', value: 0x201})
    expect(decodeValueData(5, Buffer.from([0, 0, 2, 1]))).toEqual({kind: 'integer', value: 0x201})
    expect(decodeValueData(11, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0x80]))).toEqual({kind: 'qword', value: 0x8000000000000001n})
    expect(decodeValueData(4, Buffer.alloc(8))).toEqual({kind: 'binary', value: Buffer.alloc(8)})
    for (const t of [0, 3, 8, 9, 10, 0x1f4]) expect(decodeValueData(t, Buffer.from([1])).kind).toBe('binary')
  })
})
