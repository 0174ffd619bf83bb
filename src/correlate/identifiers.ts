/**
 * The identifiers in a parsed record that can tie one case to another: phone
 * numbers, e-mail addresses, chat accounts, Wi-Fi networks (SSID with the gateway's
 * MAC address), camera bodies (make, model and serial), pictures (exact SHA-256 and
 * perceptual PDQ hash), and optionally visited domains.
 *
 * Each is normalised so that the same identifier written two ways is one key
 * ('+1 (555) 765-4321', '15557654321@s.whatsapp.net' and '+15557654321' are all
 * +15557654321), and nothing is turned into an identifier that is not one: a short
 * code, a bare national number without a known country, a group title, the WhatsApp
 * status broadcast. Those are counted (`Skipped`), not dropped in silence.
 */
import type {ParsedRecord} from '../parsers/types.js'

export type IdentifierKind = 'phone' | 'email' | 'chat-account' | 'wifi-network' | 'camera-serial' | 'picture-sha256' | 'picture-pdq' | 'domain'

export interface Identifier {
  kind: IdentifierKind
  /** The normalised key two records must share: '+15557654321', 'ana@example.org', 'skype:gen.beringer'. */
  value: string
  /** The record field it was read from ('sender', 'recipients[1]', 'bodySerial'). */
  field: string
  /** The text as the record has it, when normalising changed it. */
  raw?: string
}

/** Why a value that looked like an identifier was not made one. */
export type SkipReason =
  | 'phone number without a country code (pass --country-code to read national numbers)'
  | 'short code or too few digits for a phone number'
  | 'broadcast or system address'
  | 'Wi-Fi network without a gateway MAC address (an SSID alone names many networks)'
  | 'camera serial that is a placeholder (all zeros or blank)'

export interface ExtractOptions {
  /** Country calling code for national numbers ('49' turns 0170 1234567 into +491701234567). */
  countryCode?: string
  /** Also link visited domains (browser history): common ones tie unrelated cases, so off by default. */
  domains?: boolean
}

export interface Extraction {
  identifiers: Identifier[]
  skipped: Array<{reason: SkipReason; field: string; raw: string}>
}

/** WhatsApp addresses: a person (phone@s.whatsapp.net, phone@c.us), a group, a broadcast list, a linked id. */
const WHATSAPP_PERSON = /^(\d{6,15})(?::\d+)?@(s\.whatsapp\.net|c\.us)$/i
const WHATSAPP_OTHER = /^([\d-]+)@(g\.us|broadcast|lid|newsletter)$/i
const EMAIL = /^[^\s@<>()[\],;:"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$/i
/** A phone number as people write it: digits with spaces, dots, dashes, slashes and parentheses, maybe a leading + or 00. */
const PHONE_TEXT = /^\+?[\d\s().\-/]+$/

/** Apps that store international numbers as bare digits (no +), so those digits carry their country code. */
const BARE_INTERNATIONAL_APPS = /whatsapp|viber|telegram|signal/i

/** The fields of chat records that hold an address (who), per the shapes of src/parsers/chat/chat-record.ts. */
const CHAT_ADDRESS_FIELDS = ['account', 'sender', 'recipients', 'participants', 'handle', 'partner', 'number', 'phone', 'emails', 'microsoftAccount']

/**
 * A phone number in E.164 (+ and 8 to 15 digits), or why not. `international` says the
 * digits are known to start with the country code even without a +.
 */
export function normalizePhone(text: string, options: {countryCode?: string; international?: boolean} = {}): {e164: string} | {skip: SkipReason} | undefined {
  const trimmed = text.trim()
  if (!PHONE_TEXT.test(trimmed)) return undefined
  const digits = trimmed.replace(/\D/g, '')
  if (digits.length < 7) return {skip: 'short code or too few digits for a phone number'}
  let e164: string | undefined
  if (trimmed.startsWith('+')) e164 = digits
  else if (digits.startsWith('00')) e164 = digits.slice(2)
  else if (options.international && !digits.startsWith('0')) e164 = digits
  else if (options.countryCode && digits.startsWith('0')) e164 = options.countryCode + digits.slice(1)
  // North America writes 1 + ten digits with no trunk zero: 15557654321
  else if (options.countryCode === '1' && digits.length === 11 && digits.startsWith('1')) e164 = digits
  else if (options.countryCode === '1' && digits.length === 10) e164 = `1${digits}`
  if (e164 === undefined) return {skip: 'phone number without a country code (pass --country-code to read national numbers)'}
  if (e164.length < 8 || e164.length > 15 || e164.startsWith('0')) return {skip: 'short code or too few digits for a phone number'}
  return {e164: `+${e164}`}
}

/** A MAC address as aa:bb:cc:dd:ee:ff, from any of the usual spellings; undefined if it is not one (or is all zeros). */
export function normalizeMac(text: string): string | undefined {
  const hex = text.replace(/[\s:.-]/g, '').toLowerCase()
  if (!/^[0-9a-f]{12}$/.test(hex) || /^0+$/.test(hex) || /^f+$/.test(hex)) return undefined
  return hex.match(/../g)!.join(':')
}

/** The identifier a chat address is: a phone number, an e-mail address, or an account in that app. */
function chatAddress(app: string, field: string, raw: string, options: ExtractOptions, out: Extraction): void {
  const text = raw.trim()
  if (text === '') return
  const person = WHATSAPP_PERSON.exec(text)
  if (person) {
    out.identifiers.push({kind: 'phone', value: `+${person[1]}`, field, raw})
    return
  }
  const other = WHATSAPP_OTHER.exec(text)
  // a broadcast list's id is local to one phone; status@broadcast is every phone's status feed
  if ((other && other[2].toLowerCase() === 'broadcast') || /^status@broadcast$/i.test(text)) {
    out.skipped.push({reason: 'broadcast or system address', field, raw})
    return
  }
  if (other) {
    // a group (or linked-device id) is one on every phone that is in it
    out.identifiers.push({kind: 'chat-account', value: `whatsapp:${other[1]}@${other[2].toLowerCase()}`, field, raw})
    return
  }
  if (EMAIL.test(text)) {
    out.identifiers.push({kind: 'email', value: text.toLowerCase(), field, ...(text === text.toLowerCase() ? {} : {raw})})
    return
  }
  const phone = normalizePhone(text, {countryCode: options.countryCode, international: BARE_INTERNATIONAL_APPS.test(app)})
  if (phone && 'e164' in phone) {
    out.identifiers.push({kind: 'phone', value: phone.e164, field, ...(phone.e164 === text ? {} : {raw})})
    return
  }
  if (phone) {
    out.skipped.push({reason: phone.skip, field, raw})
    return
  }
  // Skype names, Microsoft accounts (live:...), user ids: case-insensitive within their app
  out.identifiers.push({kind: 'chat-account', value: `${app.toLowerCase()}:${text.toLowerCase()}`, field, ...(text === text.toLowerCase() ? {} : {raw})})
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}

function chatIdentifiers(record: ParsedRecord, options: ExtractOptions, out: Extraction): void {
  const app = typeof record.app === 'string' ? record.app : 'chat'
  for (const field of CHAT_ADDRESS_FIELDS) {
    const values = strings(record[field])
    values.forEach((value, i) => {
      // Skype keeps several e-mail addresses in one field, space-separated
      const parts = field === 'emails' ? value.split(/[\s,;]+/) : [value]
      for (const part of parts) chatAddress(app, Array.isArray(record[field]) ? `${field}[${i}]` : field, part, options, out)
    })
  }
  // a conversation is an address only when it is written as one (a WhatsApp JID); else it is a title
  const conversation = typeof record.conversation === 'string' ? record.conversation : undefined
  if (conversation && /@(s\.whatsapp\.net|c\.us|g\.us)$/i.test(conversation)) chatAddress(app, 'conversation', conversation, options, out)
}

function cameraIdentifiers(record: ParsedRecord, out: Extraction): void {
  if (typeof record.sha256 === 'string') out.identifiers.push({kind: 'picture-sha256', value: record.sha256.toLowerCase(), field: 'sha256'})
  const serial = typeof record.bodySerial === 'string' ? record.bodySerial : typeof record.makerNoteSerial === 'string' ? record.makerNoteSerial : undefined
  if (serial === undefined) return
  const field = typeof record.bodySerial === 'string' ? 'bodySerial' : 'makerNoteSerial'
  const clean = serial.replace(/\0/g, '').trim()
  if (clean === '' || /^[0\s-]+$/.test(clean)) {
    out.skipped.push({reason: 'camera serial that is a placeholder (all zeros or blank)', field, raw: serial})
    return
  }
  // the same serial from two makers is two cameras: make and model are part of the key
  const make = typeof record.make === 'string' ? record.make.trim().toLowerCase() : ''
  const model = typeof record.model === 'string' ? record.model.trim().toLowerCase() : ''
  out.identifiers.push({kind: 'camera-serial', value: `${make}|${model}|${clean.toUpperCase()}`, field, raw: serial})
}

function wifiIdentifiers(record: ParsedRecord, out: Extraction): void {
  const ssid = [record.firstNetwork, record.profileName, record.ssid].find((v): v is string => typeof v === 'string' && v.trim() !== '')
  if (ssid === undefined) return
  const macs = new Set<string>()
  for (const candidate of [record.defaultGatewayMac, ...(Array.isArray(record.signatures) ? record.signatures.map((s) => (s as {defaultGatewayMac?: unknown}).defaultGatewayMac) : [])]) {
    const mac = typeof candidate === 'string' ? normalizeMac(candidate) : undefined
    if (mac) macs.add(mac)
  }
  if (macs.size === 0) {
    out.skipped.push({reason: 'Wi-Fi network without a gateway MAC address (an SSID alone names many networks)', field: 'ssid', raw: ssid})
    return
  }
  for (const mac of macs) out.identifiers.push({kind: 'wifi-network', value: `${ssid}|${mac}`, field: 'defaultGatewayMac'})
}

function domainIdentifiers(record: ParsedRecord, out: Extraction): void {
  if (typeof record.url !== 'string') return
  let host: string
  try {
    host = new URL(record.url).hostname.toLowerCase()
  } catch {
    return
  }
  if (host === '' || host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[')) return
  out.identifiers.push({kind: 'domain', value: host.replace(/^www\./, ''), field: 'url'})
}

/** The identifiers of one record, and the values that looked like identifiers and were not made ones. */
export function extractIdentifiers(record: ParsedRecord, options: ExtractOptions = {}): Extraction {
  const out: Extraction = {identifiers: [], skipped: []}
  const type = record.type
  if (type.startsWith('chat.')) chatIdentifiers(record, options, out)
  else if (type === 'media.exif') cameraIdentifiers(record, out)
  else if (type === 'media.phash') {
    if (typeof record.pdq === 'string' && /^[0-9a-f]{64}$/i.test(record.pdq)) out.identifiers.push({kind: 'picture-pdq', value: record.pdq.toLowerCase(), field: 'pdq'})
  } else if (type === 'network.profile' || type === 'network.wlan') wifiIdentifiers(record, out)
  else if (options.domains && (type === 'browser.visit' || type === 'browser.url')) domainIdentifiers(record, out)
  // one record may name the same identifier in two fields (sender and account): once is enough
  const seen = new Set<string>()
  out.identifiers = out.identifiers.filter((id) => {
    const key = `${id.kind}\0${id.value}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return out
}
