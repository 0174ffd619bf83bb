/**
 * SYSTEM hive: computer name, current control set, TCP/IP interfaces, NetBIOS and
 * domain names, and the time zone. Reads the control set Select\Current names.
 *
 * Keys (ControlSet00N = the current control set):
 *   Control\ComputerName\ComputerName           ComputerName
 *   Services\Tcpip\Parameters                   Hostname, Domain, NV Hostname, NV Domain
 *   Services\Tcpip\Parameters\Interfaces\{GUID} static and DHCP addresses, leases (unix seconds)
 *   Control\TimeZoneInformation                 Bias, StandardName/Start, DaylightName/Start
 */
import {unixSecondsToIso} from '../../time.js'
import type {RegistryKey} from '../../registry/hive.js'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'
import {RegistryCoverage} from '../coverage.js'
import {acceptsHive, guardHiveRecords, hiveStateRecord, openHiveInput, reportHiveCoverage} from './hive-input.js'
import {currentControlSet, readTimeZoneInformation} from './time-zone.js'

/** A string or list-of-strings value as a list; NameServer lists are comma- or space-separated. */
function stringList(key: RegistryKey, name: string, split = false): string[] {
  const value = key.value(name)
  if (!value) return []
  const decoded = value.decoded
  const items = decoded.kind === 'strings' ? decoded.value : decoded.kind === 'string' ? [decoded.value] : []
  const out = split ? items.flatMap((s) => s.split(/[\s,]+/)) : items
  return out.map((s) => s.trim()).filter((s) => s.length > 0)
}

function stringValue(key: RegistryKey | undefined, name: string): string | null {
  const s = key?.value(name)?.asString()
  return s === undefined || s === '' ? null : s
}

function numberValue(key: RegistryKey, name: string): number | null {
  return key.value(name)?.asNumber() ?? null
}

export function* systemRecords(input: ParserInput, hiveKeyRoot: RegistryKey, controlSetName: string, coverage: RegistryCoverage): Generator<ParsedRecord> {
  const cs = hiveKeyRoot.subkey(controlSetName)
  if (!cs) return
  const source = (key: RegistryKey, value?: string): ParsedRecord['source'] => input.source({key: key.path, ...(value ? {value} : {})})

  const computerNameKey = cs.subkey('Control\\ComputerName\\ComputerName')
  const tcpip = cs.subkey('Services\\Tcpip\\Parameters')
  const computerName = stringValue(computerNameKey, 'ComputerName')
  yield {
    type: 'system.computer',
    source: computerNameKey ? source(computerNameKey, 'ComputerName') : source(cs),
    computerName,
    controlSet: controlSetName,
    hostname: stringValue(tcpip, 'Hostname'),
    nvHostname: stringValue(tcpip, 'NV Hostname'),
    domain: stringValue(tcpip, 'Domain'),
    nvDomain: stringValue(tcpip, 'NV Domain'),
    dhcpDomain: stringValue(tcpip, 'DhcpDomain'),
    lastWritten: computerNameKey?.lastWritten ?? null,
  }

  const tz = readTimeZoneInformation(cs)
  if (tz) {
    const tzKey = cs.subkey('Control\\TimeZoneInformation') as RegistryKey
    yield {
      type: 'system.timezone',
      source: source(tzKey),
      controlSet: controlSetName,
      timeZoneKeyName: tz.timeZoneKeyName ?? null,
      standardName: tz.standardName ?? null,
      daylightName: tz.daylightName ?? null,
      biasMinutes: tz.bias,
      standardBiasMinutes: tz.standardBias,
      daylightBiasMinutes: tz.daylightBias,
      activeTimeBiasMinutes: tz.activeTimeBias ?? null,
      standardStart: tz.standardStart ?? null,
      daylightStart: tz.daylightStart ?? null,
      standardStartHex: tzKey.value('StandardStart')?.data.toString('hex') ?? null,
      daylightStartHex: tzKey.value('DaylightStart')?.data.toString('hex') ?? null,
      dynamicDaylightTimeDisabled: tz.dynamicDaylightTimeDisabled,
      lastWritten: tzKey.lastWritten,
    }
  }

  const interfaces = tcpip?.subkey('Interfaces')
  const interfacesPath = interfaces?.path ?? `${controlSetName}\\Services\\Tcpip\\Parameters\\Interfaces`
  coverage.key(interfacesPath, interfaces).unread(tcpip)
  for (const iface of interfaces?.subkeys() ?? []) {
    coverage.parsedSubkey(interfacesPath, iface.name)
    const leaseObtained = numberValue(iface, 'LeaseObtainedTime')
    const leaseTerminates = numberValue(iface, 'LeaseTerminatesTime')
    yield {
      type: 'network.interface',
      source: source(iface),
      interfaceGuid: iface.name,
      controlSet: controlSetName,
      enableDhcp: numberValue(iface, 'EnableDHCP') === null ? null : numberValue(iface, 'EnableDHCP') === 1,
      ipAddresses: stringList(iface, 'IPAddress').filter((a) => a !== '0.0.0.0'),
      subnetMasks: stringList(iface, 'SubnetMask'),
      defaultGateways: stringList(iface, 'DefaultGateway'),
      // 0.0.0.0 is what DHCP leaves when no lease is held
      dhcpIpAddress: stringValue(iface, 'DhcpIPAddress') === '0.0.0.0' ? null : stringValue(iface, 'DhcpIPAddress'),
      dhcpSubnetMask: stringValue(iface, 'DhcpSubnetMask'),
      dhcpDefaultGateways: stringList(iface, 'DhcpDefaultGateway'),
      dhcpServer: stringValue(iface, 'DhcpServer'),
      domain: stringValue(iface, 'Domain'),
      dhcpDomain: stringValue(iface, 'DhcpDomain'),
      nameServers: stringList(iface, 'NameServer', true),
      dhcpNameServers: stringList(iface, 'DhcpNameServer', true),
      // DHCP lease times are unix seconds (0 when no lease was obtained)
      leaseObtainedTime: leaseObtained ? unixSecondsToIso(leaseObtained) : null,
      leaseTerminatesTime: leaseTerminates ? unixSecondsToIso(leaseTerminates) : null,
      lastWritten: iface.lastWritten,
    }
  }
}

export const registrySystemParser: Parser = {
  id: 'registry-system',
  description: 'SYSTEM hive: computer name, current control set, TCP/IP interfaces, NetBIOS/domain names, time zone',
  accepts: acceptsHive,
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const hive = openHiveInput(input)
    yield hiveStateRecord(input, hive)
    const cs = currentControlSet(hive)
    if (!cs) {
      yield {type: 'error', source: input.source({key: 'Select'}), error: 'no control set found (Select\\Current names none that exists)'}
      return
    }
    const coverage = new RegistryCoverage()
    yield* guardHiveRecords(input, systemRecords(input, hive.root(), cs.name, coverage))
    reportHiveCoverage(input, 'registry-system', `SYSTEM hive: TCP/IP interfaces of ${cs.name}`, coverage)
  },
}
