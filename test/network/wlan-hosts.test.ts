import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {hostsFileParser, parseHostsFile} from '../../src/parsers/network/hosts-file.js'
import {parseWlanProfile, wlanProfileParser} from '../../src/parsers/network/wlan-profile.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

const FIX = join(REPO_ROOT, 'fixtures/network')

describe('wlan-profile', () => {
  it('WPA2-PSK profile (UTF-8 with BOM): SSID, mode, auth, encryption; key material protected, never shown', async () => {
    const input = parserInputFor(join(FIX, 'wlan/home.xml'), {captures: {interface: '{9A1B2C3D-0000-4000-8000-00000000AAAA}'}})
    const records = await parseAll(wlanProfileParser, input)
    expect(records).toHaveLength(1)
    expect(records[0]).toEqual({
      type: 'network.wlan',
      source: input.source(),
      interfaceGuid: '{9A1B2C3D-0000-4000-8000-00000000AAAA}',
      profileName: 'HomeNet',
      ssid: 'HomeNet',
      ssidHex: '486F6D654E6574',
      nonBroadcast: null,
      connectionType: 'ESS',
      connectionMode: 'auto',
      autoSwitch: null,
      authentication: 'WPA2PSK',
      encryption: 'AES',
      useOneX: false,
      keyMaterial: {present: true, protected: true, keyType: 'passPhrase'},
      macRandomization: false,
    })
    expect(JSON.stringify(records)).not.toContain('D08C9DDF')
  })

  it('802.1X hidden network and an open network whose SSID exists only as hex (UTF-8 é)', () => {
    const corp = parseWlanProfile(readFileSync(join(FIX, 'wlan/corp-8021x.xml'), 'utf8'), 'corp')
    expect(corp).toMatchObject({ssid: 'CORP-WIFI', nonBroadcast: true, connectionMode: 'manual', autoSwitch: false, authentication: 'WPA2', useOneX: true, keyMaterial: {present: false}})
    const cafe = parseWlanProfile(readFileSync(join(FIX, 'wlan/cafe-open.xml'), 'utf8'), 'cafe')
    expect(cafe).toMatchObject({profileName: 'Café Libre', ssid: 'Café Libre', ssidHex: '436166C3A9204C69627265', authentication: 'open', encryption: 'none'})
  })

  it('XML that is not a WLAN profile is a ParseError', () => {
    expect(() => parseWlanProfile('<plist><dict/></plist>', 'x.xml')).toThrow(ParseError)
    expect(wlanProfileParser.accepts!(Buffer.from('<?xml version="1.0"?><WLANProfile'))).toBe(true)
    expect(wlanProfileParser.accepts!(Buffer.from('<?xml version="1.0"?><plist'))).toBe(false)
  })
})

describe('hosts-file', () => {
  it('Windows sample hosts with CRLF: 5 entries, comments skipped, line numbers kept', async () => {
    const records = await parseAll(hostsFileParser, parserInputFor(join(FIX, 'etc/hosts')))
    expect(records.map((r) => [r.line, r.address, r.names, r.validAddress, r.comment])).toEqual([
      [11, '127.0.0.1', ['localhost'], true, null],
      [12, '10.20.30.40', ['update.microsoft.com', 'windowsupdate.microsoft.com'], true, 'redirected'],
      [13, '::1', ['localhost6'], true, null],
      [14, '0.0.0.0', ['telemetry.example.net'], true, null],
      [15, 'not-an-ip', ['bogus.example'], false, null],
    ])
    expect(records.every((r) => r.type === 'network.hosts')).toBe(true)
  })

  it('an empty or all-comment file has no entries', () => {
    expect(parseHostsFile('')).toEqual([])
    expect(parseHostsFile('# only\n   # comments\n\n')).toEqual([])
  })
})
