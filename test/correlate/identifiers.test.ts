import {describe, expect, it} from 'vitest'
import {extractIdentifiers, normalizeMac, normalizePhone} from '../../src/correlate/identifiers.js'
import type {ParsedRecord} from '../../src/parsers/types.js'

const source = {file: 'files/dir/x.db', table: 'messages', rowid: 1}

function ids(record: Partial<ParsedRecord> & {type: string}, options = {}) {
  return extractIdentifiers({source, ...record} as ParsedRecord, options)
}

describe('identifiers a case can share with another', () => {
  it('writes one phone number the same way however the app stored it', () => {
    const spellings = ['+1 (555) 765-4321', '+15557654321', '001 555 765 4321', '+1.555.765.4321']
    for (const s of spellings) expect(normalizePhone(s)).toEqual({e164: '+15557654321'})
    const whatsapp = ids({type: 'chat.message', app: 'WhatsApp', sender: '15557654321@s.whatsapp.net', recipients: ['15551230000@s.whatsapp.net']})
    expect(whatsapp.identifiers.map((i) => [i.kind, i.value, i.field])).toEqual([
      ['phone', '+15557654321', 'sender'],
      ['phone', '+15551230000', 'recipients[0]'],
    ])
    // Viber keeps international numbers as bare digits
    expect(ids({type: 'chat.contact', app: 'Viber', handle: '15557654321'}).identifiers[0]).toMatchObject({kind: 'phone', value: '+15557654321'})
  })

  it('makes no phone number of a short code, a bare national number, or digits without a country', () => {
    expect(normalizePhone('22000')).toEqual({skip: 'short code or too few digits for a phone number'})
    expect(normalizePhone('0170 1234567')).toEqual({skip: 'phone number without a country code (pass --country-code to read national numbers)'})
    expect(normalizePhone('0170 1234567', {countryCode: '49'})).toEqual({e164: '+491701234567'})
    // Android SMS keeps what the network delivered: 11 bare digits are a US number only if the examiner says so
    const sms = ids({type: 'chat.message', app: 'Android Messages', sender: '15555215554'})
    expect(sms.identifiers).toEqual([])
    expect(sms.skipped).toEqual([{reason: 'phone number without a country code (pass --country-code to read national numbers)', field: 'sender', raw: '15555215554'}])
    expect(ids({type: 'chat.message', app: 'Android Messages', sender: '15555215554'}, {countryCode: '1'}).identifiers[0]).toMatchObject({value: '+15555215554'})
    expect(normalizePhone('ana.skype')).toBeUndefined()
  })

  it('keeps groups, e-mail addresses and app accounts apart, and skips the broadcast feeds every phone has', () => {
    const found = ids({
      type: 'chat.message',
      app: 'WhatsApp',
      conversation: '120363000000000001@g.us',
      sender: 'status@broadcast',
      recipients: ['1234567890@broadcast'],
    })
    expect(found.identifiers).toEqual([{kind: 'chat-account', value: 'whatsapp:120363000000000001@g.us', field: 'conversation', raw: '120363000000000001@g.us'}])
    expect(found.skipped.map((s) => s.reason)).toEqual(['broadcast or system address', 'broadcast or system address'])
    const skype = ids({type: 'chat.account', app: 'Skype', account: 'Gen.Beringer', emails: 'genberinger@gmail.com Other@Example.org'})
    expect(skype.identifiers.map((i) => [i.kind, i.value])).toEqual([
      ['chat-account', 'skype:gen.beringer'],
      ['email', 'genberinger@gmail.com'],
      ['email', 'other@example.org'],
    ])
    // a Viber conversation title is not an address
    expect(ids({type: 'chat.message', app: 'Viber', conversation: 'Work abroad'}).identifiers).toEqual([])
  })

  it('names a camera body by make, model and serial, and no placeholder serial', () => {
    const canon = ids({type: 'media.exif', sha256: 'AB'.repeat(32), make: 'Canon', model: 'Canon EOS 40D', bodySerial: '0820500998'})
    expect(canon.identifiers).toEqual([
      {kind: 'picture-sha256', value: 'ab'.repeat(32), field: 'sha256'},
      {kind: 'camera-serial', value: 'canon|canon eos 40d|0820500998', field: 'bodySerial', raw: '0820500998'},
    ])
    const nikon = ids({type: 'media.exif', sha256: 'cd'.repeat(32), make: 'NIKON', model: 'NIKON D70', bodySerial: '0820500998'})
    expect(nikon.identifiers[1].value).not.toBe(canon.identifiers[1].value)
    expect(ids({type: 'media.exif', sha256: 'ef'.repeat(32), make: 'X', model: 'Y', bodySerial: '0000000'}).skipped[0].reason).toBe('camera serial that is a placeholder (all zeros or blank)')
  })

  it('names a Wi-Fi network only with its gateway MAC address', () => {
    expect(normalizeMac('00-1A-2B-3C-4D-5E')).toBe('00:1a:2b:3c:4d:5e')
    expect(normalizeMac('00:00:00:00:00:00')).toBeUndefined()
    const profile = ids({type: 'network.profile', profileName: 'HotelLobby', firstNetwork: 'HotelLobby', defaultGatewayMac: '00-1A-2B-3C-4D-5E'})
    expect(profile.identifiers).toEqual([{kind: 'wifi-network', value: 'HotelLobby|00:1a:2b:3c:4d:5e', field: 'defaultGatewayMac'}])
    expect(ids({type: 'network.wlan', ssid: 'HotelLobby'}).identifiers).toEqual([])
  })

  it('reads visited domains only when asked', () => {
    const visit = {type: 'browser.visit', url: 'https://www.example.org/jobs?id=1'}
    expect(ids(visit).identifiers).toEqual([])
    expect(ids(visit, {domains: true}).identifiers).toEqual([{kind: 'domain', value: 'example.org', field: 'url'}])
  })
})
