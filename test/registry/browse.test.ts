import {expect, it} from 'vitest'
import {ExitCode} from '../../src/errors.js'
import {formatKeyListing, getRegistryValue, listRegistryKey, RegistryKeyNotFoundError} from '../../src/registry/browse.js'
import {describeShared, sharedFile} from '../helpers/shared.js'

describeShared('registry ls / get (engine behind the commands)', () => {
  it('ls lists TypedURLs with its last-written time and five REG_SZ values', () => {
    const {hive, keys} = listRegistryKey(sharedFile('registry/plaso_regf_NTUSER.DAT'), 'Software\\Microsoft\\Internet Explorer\\TypedURLs')
    expect(hive).toMatchObject({rootKey: 'CsiTool-CreateHive-{00000000-0000-0000-0000-000000000000}', version: '1.3', dirty: false, logsApplied: []})
    expect(keys).toHaveLength(1)
    expect(keys[0].lastWritten).toBe('2016-10-05T09:47:50.9674171Z')
    expect(keys[0].values.map((v) => [v.name, v.type, v.data])).toEqual([
      ['url1', 'REG_SZ', 'http://www.catnews.com/'],
      ['url2', 'REG_SZ', 'http://spotify.com/'],
      ['url3', 'REG_SZ', 'http://pintrest.com/'],
      ['url4', 'REG_SZ', 'http://webmail.student.greendale.xyz/'],
      ['url5', 'REG_SZ', 'http://go.microsoft.com/fwlink/p/?LinkId=255141'],
    ])
    expect(formatKeyListing(keys[0])[1]).toBe('  url1  REG_SZ  http://www.catnews.com/')
  })

  it('ls --recursive walks every key below (SAM Users\\Names: 1 + 3 users)', () => {
    const {keys} = listRegistryKey(sharedFile('registry/plaso_regf_SAM'), 'SAM\\Domains\\Account\\Users\\Names', {recursive: true})
    expect(keys.map((k) => k.name)).toEqual(['Names', 'Administrator', 'gold_administrator', 'Guest'])
    expect(keys[1].values[0]).toMatchObject({name: '', type: '0x000001f4', size: 0})
  })

  it('get returns one decoded value; a missing key or value is a typed error with exit code 2', () => {
    const result = getRegistryValue(sharedFile('registry/regipy/SYSTEM'), 'Select', 'Current')
    expect(result.values).toEqual([{name: 'Current', type: 'REG_DWORD', size: 4, data: 1}])
    expect(() => getRegistryValue(sharedFile('registry/regipy/SYSTEM'), 'No\\Such\\Key')).toThrow(RegistryKeyNotFoundError)
    try {
      getRegistryValue(sharedFile('registry/regipy/SYSTEM'), 'Select', 'Nope')
    } catch (error) {
      expect((error as RegistryKeyNotFoundError).exitCode).toBe(ExitCode.unusable)
      expect((error as Error).message).toBe(`no value "Nope" in key Select of ${sharedFile('registry/regipy/SYSTEM')}`)
    }
  })
})
