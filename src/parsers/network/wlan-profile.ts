/**
 * Wi-Fi profiles the WLAN AutoConfig service keeps, one XML file per network:
 * ProgramData\Microsoft\Wlansvc\Profiles\Interfaces\{interface GUID}\{profile GUID}.xml
 * (WLANProfile schema, namespace http://www.microsoft.com/networking/WLAN/profile/v1).
 *
 * The pre-shared key (sharedKey/keyMaterial) is DPAPI-protected by the machine when
 * <protected> is true: it is reported as present and protected, never decrypted or guessed,
 * and its bytes never leave the file (the bundle holds the file itself).
 */
import {readFileSync} from 'node:fs'
import {XMLParser} from 'fast-xml-parser'
import {errorMessage, ParseError} from '../../errors.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'

type XmlNode = Record<string, unknown>

function child(node: unknown, ...path: string[]): unknown {
  let at: unknown = node
  for (const name of path) {
    if (at === null || typeof at !== 'object') return undefined
    at = (at as XmlNode)[name]
    if (Array.isArray(at)) at = at[0]
  }
  return at
}

function text(node: unknown, ...path: string[]): string | null {
  const at = child(node, ...path)
  if (at === undefined || at === null) return null
  if (typeof at === 'object') {
    const inner = (at as XmlNode)['#text']
    return inner === undefined ? null : String(inner)
  }
  return String(at)
}

function bool(value: string | null): boolean | null {
  if (value === null) return null
  return value.trim().toLowerCase() === 'true'
}

/** Profile XML is UTF-8 (with or without a BOM); tolerate UTF-16 with a BOM as well. */
export function decodeProfileXml(data: Buffer): string {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2))
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2))
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return data.subarray(3).toString('utf8')
  return data.toString('utf8')
}

export interface WlanProfile {
  profileName: string | null
  ssid: string | null
  ssidHex: string | null
  nonBroadcast: boolean | null
  connectionType: string | null
  connectionMode: string | null
  autoSwitch: boolean | null
  authentication: string | null
  encryption: string | null
  useOneX: boolean | null
  keyMaterial: {present: boolean; protected: boolean | null; keyType: string | null}
  macRandomization: boolean | null
}

export function parseWlanProfile(xml: string, where: string): WlanProfile {
  let doc: XmlNode
  try {
    doc = new XMLParser({removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true, htmlEntities: true}).parse(xml, true) as XmlNode
  } catch (error) {
    throw new ParseError(`not well-formed WLAN profile XML: ${errorMessage(error)}`, where)
  }
  const profile = child(doc, 'WLANProfile')
  if (!profile) throw new ParseError('not a WLAN profile (no WLANProfile element)', where)
  const ssid = child(profile, 'SSIDConfig', 'SSID')
  const auth = child(profile, 'MSM', 'security', 'authEncryption')
  const sharedKey = child(profile, 'MSM', 'security', 'sharedKey')
  const hex = text(ssid, 'hex')
  let name = text(ssid, 'name')
  if (name === null && hex && /^([0-9a-f]{2})+$/i.test(hex)) name = Buffer.from(hex, 'hex').toString('utf8')
  return {
    profileName: text(profile, 'name'),
    ssid: name,
    ssidHex: hex ? hex.toUpperCase() : name !== null ? Buffer.from(name, 'utf8').toString('hex').toUpperCase() : null,
    nonBroadcast: bool(text(profile, 'SSIDConfig', 'nonBroadcast')),
    connectionType: text(profile, 'connectionType'),
    connectionMode: text(profile, 'connectionMode'),
    autoSwitch: bool(text(profile, 'autoSwitch')),
    authentication: text(auth, 'authentication'),
    encryption: text(auth, 'encryption'),
    useOneX: bool(text(auth, 'useOneX')),
    keyMaterial: {
      present: text(sharedKey, 'keyMaterial') !== null,
      protected: bool(text(sharedKey, 'protected')),
      keyType: text(sharedKey, 'keyType'),
    },
    macRandomization: bool(text(profile, 'MacRandomization', 'enableRandomization')),
  }
}

export const wlanProfileParser: Parser = {
  id: 'wlan-profile',
  description: 'Wi-Fi profile XML (Wlansvc): SSID, connection type and mode, authentication, encryption; key material reported as protected, never decrypted',
  accepts: (head) => /WLANProfile/.test(decodeProfileXml(head)),
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const profile = parseWlanProfile(decodeProfileXml(readFileSync(input.copyPath)), input.sourcePath)
    yield {
      type: 'network.wlan',
      source: input.source(),
      interfaceGuid: input.captures.interface ?? null,
      ...profile,
    }
  },
}

