/**
 * SRUM, the System Resource Usage Monitor (Windows 8 and later):
 * Windows/System32/sru/SRUDB.dat, an ESE database read with src/ese. Each provider
 * keeps a table named by its GUID (SOFTWARE Microsoft\Windows NT\CurrentVersion\SRUM\Extensions):
 *
 *   {973F5D5C-1D90-4944-BE8E-24B94231A174}  network data usage     -> network.usage
 *   {DD6636C4-8929-4683-974E-22C046A43763}  network connectivity   -> network.connectivity
 *   {D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}  application resources  -> system.app-usage
 *
 * Rows name apps and users by number; SruDbIdMapTable gives the name (IdType 0-2, a
 * UTF-16 string) or the SID (IdType 3). SIDs get a user name from the SOFTWARE hive's
 * ProfileList (ProfileImagePath) when the hive is on the volume. L2ProfileId is the
 * WLAN profile's ProfileIndex (SOFTWARE Microsoft\WlanSvc\Interfaces\{if}\Profiles\{guid});
 * its SSID comes from the profile XML under ProgramData/Microsoft/Wlansvc (src/parsers/network/wlan-profile.ts).
 *
 * Times: TimeStamp (DateTime column) is an OLE date, the minute SRUM wrote the row (UTC);
 * ConnectStartTime (64-bit integer) is a FILETIME. libesedb's srumdb.c reads them the same way.
 * The database is read as it is on disk: its .jfm and SRU*.log are collected (artifact
 * srum-logs) but not replayed; a dirty database is reported as such.
 */
import {readFileSync} from 'node:fs'
import {basename} from 'node:path'
import {errorMessage} from '../../errors.js'
import {EseDateTime} from '../../ese/columns.js'
import type {EseDatabase} from '../../ese/database.js'
import type {EseRow, EseValue} from '../../ese/record.js'
import type {RegistryHive} from '../../registry/hive.js'
import {filetimeToIso} from '../../time.js'
import {EseCoverage} from '../coverage.js'
import {acceptsEse, eseDatabaseRecord, eseProblemRecords, eseTableCounts, openEseInput} from '../ese-input.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {HIVE_LOG_SUFFIXES, openHiveCopy} from './hive-input.js'
import {decodeProfileXml, parseWlanProfile} from './wlan-profile.js'

export const SRUM_TABLES = {
  networkUsage: '{973F5D5C-1D90-4944-BE8E-24B94231A174}',
  networkConnectivity: '{DD6636C4-8929-4683-974E-22C046A43763}',
  appResourceUsage: '{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}',
} as const
const ID_MAP = 'SruDbIdMapTable'
export const SOFTWARE_HIVE_PATH = 'Windows/System32/config/SOFTWARE'
const SRUM_EXTENSIONS = 'Microsoft\\Windows NT\\CurrentVersion\\SRUM\\Extensions'
const PROFILE_LIST = 'Microsoft\\Windows NT\\CurrentVersion\\ProfileList'
const WLANSVC_INTERFACES = 'Microsoft\\WlanSvc\\Interfaces'

/** Providers SRUM ships with, for tables the SOFTWARE hive does not name (Microsoft's provider DLLs). */
const KNOWN_PROVIDERS: Record<string, string> = {
  '{973F5D5C-1D90-4944-BE8E-24B94231A174}': 'Network Data Usage Monitor',
  '{DD6636C4-8929-4683-974E-22C046A43763}': 'Network Connectivity Usage Monitor',
  '{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}': 'Application Resource Usage Provider',
  '{D10CA2FE-6FCF-4F6D-848E-B2E99266FA86}': 'Windows Push Notifications',
  '{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}': 'Energy Usage',
  '{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}LT': 'Energy Usage (long term)',
  '{5C8CF1C7-7257-4F13-B223-970EF5939312}': 'App Timeline Provider',
  '{7ACBBAA3-D029-4BE4-9A7A-0885927F1D8F}': 'vfuprov (app and data usage)',
}

/** SruDbIdMapTable IdType values. */
const ID_TYPES: Record<number, string> = {0: 'program', 1: 'service', 2: 'application id', 3: 'user'}

/** Well-known SIDs a SRUM user id often is. */
const WELL_KNOWN_SIDS: Record<string, string> = {
  'S-1-5-18': 'SYSTEM',
  'S-1-5-19': 'LOCAL SERVICE',
  'S-1-5-20': 'NETWORK SERVICE',
}

/** IANA ifType of a NET_LUID (bits 48-63), for the interface kinds SRUM sees. */
const INTERFACE_TYPES: Record<number, string> = {6: 'ethernet', 23: 'ppp', 24: 'loopback', 71: 'wireless (802.11)', 131: 'tunnel', 243: 'mobile broadband (GSM)', 244: 'mobile broadband (CDMA)'}

/** A binary SID as S-R-A-S1-S2...; undefined when the bytes are not one. */
export function sidString(bytes: Buffer): string | undefined {
  if (bytes.length < 8 || bytes[0] !== 1) return undefined
  const count = bytes[1]!
  if (bytes.length < 8 + 4 * count) return undefined
  const authority = bytes.readUIntBE(2, 6)
  const parts = [`S-1-${authority}`]
  for (let index = 0; index < count; index++) parts.push(String(bytes.readUInt32LE(8 + 4 * index)))
  return parts.join('-')
}

interface IdEntry {
  type: number
  kind: string
  name: string | null
  sid?: string
}

/** NET_LUID: index in bits 24-47, interface type in bits 48-63. */
export function interfaceOfLuid(luid: bigint | number | undefined): {luid: string; type: string | null; index: number} | null {
  if (luid === undefined) return null
  const value = BigInt(luid)
  const ifType = Number((value >> 48n) & 0xffffn)
  return {luid: value.toString(), type: INTERFACE_TYPES[ifType] ?? `ifType ${ifType}`, index: Number((value >> 24n) & 0xffffffn)}
}

/** A 64-bit value as a JSON-safe number, or a decimal string beyond 2^53. */
function count(value: EseValue | undefined): number | string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString()
  if (typeof value === 'number') return value
  return null
}

function oleTime(value: EseValue | undefined): string | null {
  return value instanceof EseDateTime ? (value.asOleDate() ?? null) : null
}

interface SoftwareLookups {
  /** Where the names came from, for the records. */
  from: string | null
  providers: Map<string, string>
  users: Map<string, string>
  /** ProfileIndex -> WLAN profile GUID and its interface GUID. */
  wlanProfiles: Map<number, {interfaceGuid: string; profileGuid: string}>
  problem?: string
}

function readSoftware(hive: RegistryHive, from: string): SoftwareLookups {
  const providers = new Map<string, string>()
  for (const key of hive.key(SRUM_EXTENSIONS)?.subkeys() ?? []) {
    const dll = key.values().map((value) => value.asString()).find((text) => text && /\.dll/i.test(text))
    providers.set(key.name.toUpperCase(), dll ?? key.value('')?.asString() ?? key.name)
  }
  const users = new Map<string, string>()
  for (const key of hive.key(PROFILE_LIST)?.subkeys() ?? []) {
    const path = key.value('ProfileImagePath')?.asString()
    if (path) users.set(key.name.toUpperCase(), basename(path.replace(/\\/g, '/')))
  }
  const wlanProfiles = new Map<number, {interfaceGuid: string; profileGuid: string}>()
  for (const iface of hive.key(WLANSVC_INTERFACES)?.subkeys() ?? []) {
    for (const profile of iface.subkey('Profiles')?.subkeys() ?? []) {
      const index = profile.value('ProfileIndex')?.asNumber()
      if (index !== undefined) wlanProfiles.set(index, {interfaceGuid: iface.name, profileGuid: profile.name})
    }
  }
  return {from, providers, users, wlanProfiles}
}

async function softwareOfVolume(input: ParserInput): Promise<SoftwareLookups> {
  const none: SoftwareLookups = {from: null, providers: new Map(), users: new Map(), wlanProfiles: new Map()}
  const software = await input.collectRelated(SOFTWARE_HIVE_PATH)
  if (!software) return {...none, problem: `${SOFTWARE_HIVE_PATH} not found on the volume: SRUM users stay SIDs, L2 profiles stay numbers`}
  const logs: string[] = []
  for (const suffix of HIVE_LOG_SUFFIXES) {
    const log = await input.collectRelated(SOFTWARE_HIVE_PATH + suffix)
    if (log) logs.push(log.copyPath)
  }
  try {
    return readSoftware(openHiveCopy(software.copyPath, software.sourcePath, logs), software.bundlePath)
  } catch (error) {
    return {...none, problem: `SOFTWARE hive unreadable: ${errorMessage(error)}: SRUM users stay SIDs, L2 profiles stay numbers`}
  }
}

function readIdMap(database: EseDatabase, coverage: EseCoverage): Map<number, IdEntry> {
  const ids = new Map<number, IdEntry>()
  const table = database.table(ID_MAP)
  coverage.table(ID_MAP)
  if (!table) return ids
  for (const row of database.rows(table)) {
    const index = row.values.IdIndex
    const type = row.values.IdType
    if (typeof index !== 'number' || typeof type !== 'number') continue
    const blob = row.values.IdBlob
    const bytes = Buffer.isBuffer(blob) ? blob : undefined
    const entry: IdEntry = {type, kind: ID_TYPES[type] ?? `IdType ${type}`, name: null}
    if (bytes && type === 3) {
      const sid = sidString(bytes)
      if (sid) entry.sid = sid
    } else if (bytes) {
      entry.name = bytes.subarray(0, bytes.length - (bytes.length % 2)).toString('utf16le').replace(/\0+$/, '')
    }
    ids.set(index, entry)
  }
  return ids
}

interface Context {
  input: ParserInput
  database: EseDatabase
  ids: Map<number, IdEntry>
  software: SoftwareLookups
  coverage: EseCoverage
  wlanNames: Map<number, {profileName: string | null; ssid: string | null; file: string} | null>
}

function app(context: Context, id: EseValue | undefined, table: string): {appId: number | null; app: string | null; appKind: string | null} {
  if (typeof id !== 'number') return {appId: null, app: null, appKind: null}
  const entry = context.ids.get(id)
  if (!entry) context.coverage.unresolved(table, `rows name an AppId not in ${ID_MAP}`)
  return {appId: id, app: entry?.name ?? entry?.sid ?? null, appKind: entry?.kind ?? null}
}

function user(context: Context, id: EseValue | undefined, table: string): {userId: number | null; userSid: string | null; user: string | null} {
  if (typeof id !== 'number') return {userId: null, userSid: null, user: null}
  const entry = context.ids.get(id)
  if (!entry) context.coverage.unresolved(table, `rows name a UserId not in ${ID_MAP}`)
  const sid = entry?.sid ?? null
  const name = sid ? (context.software.users.get(sid.toUpperCase()) ?? WELL_KNOWN_SIDS[sid] ?? null) : (entry?.name ?? null)
  return {userId: id, userSid: sid, user: name}
}

async function profile(context: Context, id: EseValue | undefined): Promise<Record<string, unknown>> {
  if (typeof id !== 'number') return {l2ProfileId: null}
  if (id === 0) return {l2ProfileId: 0, profileName: null, ssid: null}
  if (!context.wlanNames.has(id)) {
    const wlan = context.software.wlanProfiles.get(id)
    let named: {profileName: string | null; ssid: string | null; file: string} | null = null
    if (wlan) {
      const path = `ProgramData/Microsoft/Wlansvc/Profiles/Interfaces/${wlan.interfaceGuid}/${wlan.profileGuid}.xml`
      const file = await context.input.collectRelated(path)
      if (file) {
        try {
          const parsed = parseWlanProfile(decodeProfileXml(readFileSync(file.copyPath)), file.sourcePath)
          named = {profileName: parsed.profileName, ssid: parsed.ssid, file: file.bundlePath}
        } catch {
          named = null
        }
      }
    }
    context.wlanNames.set(id, named)
  }
  const wlan = context.software.wlanProfiles.get(id)
  const named = context.wlanNames.get(id)
  return {
    l2ProfileId: id,
    wlanProfileGuid: wlan?.profileGuid ?? null,
    profileName: named?.profileName ?? null,
    ssid: named?.ssid ?? null,
    ...(named ? {profileFile: named.file} : {}),
  }
}

function common(context: Context, table: string, row: EseRow): Record<string, unknown> {
  return {
    source: context.input.source({table, rowid: count(row.values.AutoIncId) ?? `page ${row.page} tag ${row.tag}`}),
    provider: context.software.providers.get(table) ?? KNOWN_PROVIDERS[table] ?? null,
    timestamp: oleTime(row.values.TimeStamp),
    autoIncId: count(row.values.AutoIncId),
    ...app(context, row.values.AppId, table),
    ...user(context, row.values.UserId, table),
  }
}

async function* tableRecords(context: Context, table: string, make: (row: EseRow) => Promise<Record<string, unknown>>, type: string): AsyncGenerator<ParsedRecord> {
  context.coverage.table(table)
  const found = context.database.table(table)
  if (!found) return
  for (const row of context.database.rows(found)) {
    context.coverage.parsed(table, `${row.page}:${row.tag}`)
    yield {type, ...common(context, table, row), ...(await make(row))} as ParsedRecord
  }
}

async function* srumRecords(context: Context): AsyncGenerator<ParsedRecord> {
  yield* tableRecords(
    context,
    SRUM_TABLES.networkUsage,
    async (row) => ({
      interface: interfaceOfLuid(row.values.InterfaceLuid as bigint | undefined),
      ...(await profile(context, row.values.L2ProfileId)),
      l2ProfileFlags: count(row.values.L2ProfileFlags),
      bytesSent: count(row.values.BytesSent),
      bytesReceived: count(row.values.BytesRecvd),
    }),
    'network.usage',
  )
  yield* tableRecords(
    context,
    SRUM_TABLES.networkConnectivity,
    async (row) => {
      const start = row.values.ConnectStartTime
      return {
        interface: interfaceOfLuid(row.values.InterfaceLuid as bigint | undefined),
        ...(await profile(context, row.values.L2ProfileId)),
        l2ProfileFlags: count(row.values.L2ProfileFlags),
        connectedSeconds: count(row.values.ConnectedTime),
        connectStartTime: typeof start === 'bigint' && start > 0n ? filetimeToIso(start) : null,
      }
    },
    'network.connectivity',
  )
  const usageFields = [
    'ForegroundCycleTime',
    'BackgroundCycleTime',
    'FaceTime',
    'ForegroundContextSwitches',
    'BackgroundContextSwitches',
    'ForegroundBytesRead',
    'ForegroundBytesWritten',
    'ForegroundNumReadOperations',
    'ForegroundNumWriteOperations',
    'ForegroundNumberOfFlushes',
    'BackgroundBytesRead',
    'BackgroundBytesWritten',
    'BackgroundNumReadOperations',
    'BackgroundNumWriteOperations',
    'BackgroundNumberOfFlushes',
  ]
  yield* tableRecords(
    context,
    SRUM_TABLES.appResourceUsage,
    async (row) => Object.fromEntries(usageFields.map((field) => [field[0]!.toLowerCase() + field.slice(1), count(row.values[field])])),
    'system.app-usage',
  )
}

/** Tables of the engine (MSys*) and of SRUM's own bookkeeping: listed, never evidence of use. */
function srumBookkeeping(table: string): string | undefined {
  if (/^MSys/.test(table)) return 'ESE catalog and engine bookkeeping, not evidence of use'
  if (table === 'SruDbCheckpointTable') return 'SRUM checkpoint bookkeeping, not evidence of use'
  return undefined
}

export const srumParser: Parser = {
  id: 'srum',
  description: 'SRUM (SRUDB.dat): network data usage, network connectivity and application resource usage per app and user, names from SruDbIdMapTable and the SOFTWARE hive',
  accepts: acceptsEse,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const database = openEseInput(input)
    try {
      const software = await softwareOfVolume(input)
      if (software.problem) yield {type: 'error', source: input.source(), error: software.problem}
      const coverage = new EseCoverage(eseTableCounts(database), srumBookkeeping)
      const ids = readIdMap(database, coverage)
      const context: Context = {input, database, ids, software, coverage, wlanNames: new Map()}
      yield* srumRecords(context)
      coverage.excludeRest(ID_MAP, 'app and user names, used to name the apps and users of the records')
      yield eseDatabaseRecord(input, database)
      yield* eseProblemRecords(input, database)
      const {volume} = input.source()
      input.reportCoverage(coverage.account({parser: 'srum', file: input.bundlePath, sourcePath: input.sourcePath, ...(volume ? {volume} : {}), readAs: 'SRUM SRUDB.dat (network usage, connectivity, application resource usage)'}))
    } finally {
      database.close()
    }
  },
}
