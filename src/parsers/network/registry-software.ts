/**
 * SOFTWARE hive: networks the machine joined (Network List Service).
 *
 *   Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{GUID}
 *     ProfileName, Description, Managed, Category (0 public, 1 private, 2 domain),
 *     NameType (0x06 wired, 0x17 mobile broadband, 0x47 wireless),
 *     DateCreated, DateLastConnected: 16-byte SYSTEMTIME in LOCAL time
 *   Microsoft\Windows NT\CurrentVersion\NetworkList\Signatures\{Managed,Unmanaged}\{signature}
 *     ProfileGuid, Description, DnsSuffix, FirstNetwork, DefaultGatewayMac (6 bytes)
 *
 * Local times are kept as written (marked local) and converted to UTC with the time-zone
 * rules of the SYSTEM hive of the same volume (Control\TimeZoneInformation of its current
 * control set), which the parser collects beside the SOFTWARE hive.
 */
import {errorMessage} from '../../errors.js'
import type {RegistryHive, RegistryKey} from '../../registry/hive.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {RegistryCoverage} from '../coverage.js'
import {acceptsHive, guardHiveRecords, HIVE_LOG_SUFFIXES, hiveStateRecord, openHiveCopy, openHiveInput, reportHiveCoverage} from './hive-input.js'
import {
  currentControlSet,
  localSystemTimeToUtc,
  parseSystemTime,
  readTimeZoneInformation,
  systemTimeToLocalIso,
  type TimeZoneInformation,
} from './time-zone.js'
import {appendTo} from '../group.js'

export const NETWORK_LIST = 'Microsoft\\Windows NT\\CurrentVersion\\NetworkList'
export const SYSTEM_HIVE_PATH = 'Windows/System32/config/SYSTEM'

const CATEGORIES: Record<number, string> = {0: 'public', 1: 'private', 2: 'domain'}
const NAME_TYPES: Record<number, string> = {0x06: 'wired', 0x17: 'mobile broadband', 0x47: 'wireless'}

/** Six bytes as 'aa:bb:cc:dd:ee:ff'. */
export function macAddress(data: Buffer | undefined): string | null {
  if (!data || data.length < 6) return null
  return [...data.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':')
}

interface Signature {
  key: RegistryKey
  /** Path of Signatures\\Managed or \\Unmanaged, the key it is a subkey of. */
  parent: string
  kind: 'Managed' | 'Unmanaged'
  description: string | null
  dnsSuffix: string | null
  firstNetwork: string | null
  defaultGatewayMac: string | null
  source: number | null
}

/** Signatures by profile GUID (upper case); a signature without a ProfileGuid is kept under its own key path. */
function readSignatures(networkList: RegistryKey, coverage: RegistryCoverage): Map<string, Signature[]> {
  const byProfile = new Map<string, Signature[]>()
  for (const kind of ['Managed', 'Unmanaged'] as const) {
    const parent = networkList.subkey(`Signatures\\${kind}`)
    coverage.key(parent?.path ?? `${networkList.path}\\Signatures\\${kind}`, parent)
    for (const key of parent?.subkeys() ?? []) {
      const guid = key.value('ProfileGuid')?.asString()
      appendTo(byProfile, guid ? guid.toUpperCase() : `(no ProfileGuid) ${key.path}`, {
        key,
        parent: parent?.path ?? '',
        kind,
        description: key.value('Description')?.asString() ?? null,
        dnsSuffix: key.value('DnsSuffix')?.asString() ?? null,
        firstNetwork: key.value('FirstNetwork')?.asString() ?? null,
        defaultGatewayMac: macAddress(key.value('DefaultGatewayMac')?.data),
        source: key.value('Source')?.asNumber() ?? null,
      })
    }
  }
  return byProfile
}

/** A profile date: local as written, and UTC when the time zone is known. */
function profileDate(key: RegistryKey, name: string, tz: TimeZoneInformation | undefined): {local: string | null; utc: string | null; daylight: boolean | null} {
  const data = key.value(name)?.data
  const t = data ? parseSystemTime(data) : undefined
  const local = t ? (systemTimeToLocalIso(t) ?? null) : null
  if (!t || !local || !tz) return {local, utc: null, daylight: null}
  const converted = localSystemTimeToUtc(tz, t)
  return {local, utc: converted?.utc ?? null, daylight: converted?.daylight ?? null}
}

export function* networkProfileRecords(input: ParserInput, hive: RegistryHive, tz: TimeZoneInformation | undefined, tzSource: string | null, coverage: RegistryCoverage): Generator<ParsedRecord> {
  const networkList = hive.key(NETWORK_LIST)
  const profilesKey = networkList?.subkey('Profiles')
  coverage.key(profilesKey?.path ?? `${NETWORK_LIST}\\Profiles`, profilesKey)
  if (!networkList) {
    for (const kind of ['Managed', 'Unmanaged']) coverage.key(`${NETWORK_LIST}\\Signatures\\${kind}`, undefined)
    return
  }
  const signatures = readSignatures(networkList, coverage)
  coverage.unread(networkList).unread(networkList.subkey('Signatures'))
  const signatureParsed = (s: Signature): void => coverage.parsedSubkey(s.parent, s.key.name)
  for (const profile of profilesKey?.subkeys() ?? []) {
    const category = profile.value('Category')?.asNumber()
    const nameType = profile.value('NameType')?.asNumber()
    const created = profileDate(profile, 'DateCreated', tz)
    const lastConnected = profileDate(profile, 'DateLastConnected', tz)
    const sigs = signatures.get(profile.name.toUpperCase()) ?? []
    coverage.parsedSubkey(profilesKey?.path ?? '', profile.name)
    sigs.forEach(signatureParsed)
    yield {
      type: 'network.profile',
      source: input.source({key: profile.path}),
      profileGuid: profile.name,
      profileName: profile.value('ProfileName')?.asString() ?? null,
      description: profile.value('Description')?.asString() ?? null,
      managed: profile.value('Managed') ? profile.value('Managed')?.asNumber() === 1 : null,
      category: category === undefined ? null : (CATEGORIES[category] ?? String(category)),
      nameType: nameType === undefined ? null : (NAME_TYPES[nameType] ?? `0x${nameType.toString(16)}`),
      // SYSTEMTIME in the machine's local time: kept as written, and converted when the zone is known
      dateCreatedLocal: created.local,
      dateCreated: created.utc,
      dateLastConnectedLocal: lastConnected.local,
      dateLastConnected: lastConnected.utc,
      timeZone: tz ? {keyName: tz.timeZoneKeyName ?? null, biasMinutes: tz.bias, from: tzSource} : null,
      signatures: sigs.map((s) => ({
        kind: s.kind,
        key: s.key.path,
        description: s.description,
        dnsSuffix: s.dnsSuffix,
        firstNetwork: s.firstNetwork,
        defaultGatewayMac: s.defaultGatewayMac,
      })),
      defaultGatewayMac: sigs.find((s) => s.defaultGatewayMac)?.defaultGatewayMac ?? null,
      dnsSuffix: sigs.find((s) => s.dnsSuffix)?.dnsSuffix ?? null,
      firstNetwork: sigs.find((s) => s.firstNetwork)?.firstNetwork ?? null,
      lastWritten: profile.lastWritten,
    }
  }
  // signatures whose profile is gone still tell of a network (gateway MAC, DNS suffix)
  const profileNames = new Set((profilesKey?.subkeys() ?? []).map((p) => p.name.toUpperCase()))
  for (const [guid, sigs] of signatures) {
    if (profileNames.has(guid)) continue
    for (const s of sigs) {
      signatureParsed(s)
      yield {
        type: 'network.profile',
        source: input.source({key: s.key.path}),
        profileGuid: s.key.value('ProfileGuid')?.asString() ?? null,
        profileName: null,
        description: s.description,
        orphanSignature: true,
        signatures: [{kind: s.kind, key: s.key.path, description: s.description, dnsSuffix: s.dnsSuffix, firstNetwork: s.firstNetwork, defaultGatewayMac: s.defaultGatewayMac}],
        defaultGatewayMac: s.defaultGatewayMac,
        dnsSuffix: s.dnsSuffix,
        firstNetwork: s.firstNetwork,
        lastWritten: s.key.lastWritten,
      }
    }
  }
}

/** Time-zone rules from the SYSTEM hive of the same volume, collected into the bundle beside this one. */
export async function timeZoneOfVolume(input: ParserInput): Promise<{tz: TimeZoneInformation | undefined; from: string | null; problem?: string}> {
  const system = await input.collectRelated(SYSTEM_HIVE_PATH)
  if (!system) return {tz: undefined, from: null, problem: `${SYSTEM_HIVE_PATH} not found on the volume: profile times stay local`}
  const logs: string[] = []
  for (const suffix of HIVE_LOG_SUFFIXES) {
    const log = await input.collectRelated(SYSTEM_HIVE_PATH + suffix)
    if (log) logs.push(log.copyPath)
  }
  try {
    const hive = openHiveCopy(system.copyPath, system.sourcePath, logs)
    const cs = currentControlSet(hive)
    const tz = cs ? readTimeZoneInformation(cs.key) : undefined
    return {tz, from: tz ? `${system.bundlePath}:${cs?.name}\\Control\\TimeZoneInformation` : null, problem: tz ? undefined : 'SYSTEM hive has no TimeZoneInformation'}
  } catch (error) {
    return {tz: undefined, from: null, problem: `SYSTEM hive unreadable: ${errorMessage(error)}`}
  }
}

export const registrySoftwareParser: Parser = {
  id: 'registry-software',
  description: 'SOFTWARE hive: NetworkList profiles joined with their signatures (gateway MAC, DNS suffix), local times converted with the SYSTEM time zone',
  accepts: acceptsHive,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const hive = openHiveInput(input)
    yield hiveStateRecord(input, hive)
    const {tz, from, problem} = await timeZoneOfVolume(input)
    if (problem) yield {type: 'error', source: input.source({key: NETWORK_LIST}), error: problem}
    const coverage = new RegistryCoverage()
    yield* guardHiveRecords(input, networkProfileRecords(input, hive, tz, from, coverage))
    reportHiveCoverage(input, 'registry-software', 'SOFTWARE hive: NetworkList profiles and signatures', coverage)
  },
}
