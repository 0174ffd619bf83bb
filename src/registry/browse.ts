/**
 * Looking inside a hive by hand: what `trawl registry ls` and `trawl registry get` show.
 * The commands only parse flags and print what these functions return.
 */
import {ExitCode, TrawlError} from '../errors.js'
import {RegistryHive, type RegistryKey, type RegistryValue} from './hive.js'
import {decodedToJson} from './value-data.js'

export class RegistryKeyNotFoundError extends TrawlError {
  constructor(readonly hive: string, readonly key: string, readonly value?: string) {
    super(value === undefined ? `no key ${key || '(root)'} in ${hive}` : `no value ${JSON.stringify(value)} in key ${key || '(root)'} of ${hive}`, ExitCode.unusable)
  }
}

export interface ValueListing {
  name: string
  type: string
  size: number
  data: string | number | string[]
}

export interface KeyListing {
  path: string
  name: string
  lastWritten: string | null
  className: string | null
  subkeys: Array<{name: string; lastWritten: string | null}>
  values: ValueListing[]
}

export interface HiveSummary {
  file: string
  rootKey: string
  version: string
  lastWritten: string | null
  dirty: boolean
  logsApplied: string[]
}

export function summarizeHive(hive: RegistryHive, file: string): HiveSummary {
  return {
    file,
    rootKey: hive.root().name,
    version: `${hive.baseBlock.majorVersion}.${hive.baseBlock.minorVersion}`,
    lastWritten: hive.baseBlock.lastWritten,
    dirty: hive.replay?.dirty ?? hive.dirty,
    logsApplied: hive.replay?.applied.map((a) => a.file) ?? [],
  }
}

export function describeValue(value: RegistryValue): ValueListing {
  return {name: value.name, type: value.typeName, size: value.data.length, data: decodedToJson(value.decoded)}
}

export function describeKey(key: RegistryKey): KeyListing {
  return {
    path: key.path,
    name: key.name,
    lastWritten: key.lastWritten,
    className: key.className ?? null,
    subkeys: key.subkeys().map((k) => ({name: k.name, lastWritten: k.lastWritten})),
    values: key.values().map(describeValue),
  }
}

function findKey(hive: RegistryHive, file: string, keyPath: string): RegistryKey {
  const key = hive.key(keyPath)
  if (!key) throw new RegistryKeyNotFoundError(file, keyPath)
  return key
}

/** `registry ls`: a key (the root by default) with its values and subkeys, or every key below it. */
export function listRegistryKey(file: string, keyPath = '', options: {recursive?: boolean} = {}): {hive: HiveSummary; keys: KeyListing[]} {
  const hive = RegistryHive.open(file)
  const key = findKey(hive, file, keyPath)
  const keys = options.recursive ? [...key.walk()].map(describeKey) : [describeKey(key)]
  return {hive: summarizeHive(hive, file), keys}
}

/** `registry get`: one value of a key, or all of its values. */
export function getRegistryValue(file: string, keyPath: string, valueName?: string): {hive: HiveSummary; key: string; lastWritten: string | null; values: ValueListing[]} {
  const hive = RegistryHive.open(file)
  const key = findKey(hive, file, keyPath)
  let values: ValueListing[]
  if (valueName === undefined) values = key.values().map(describeValue)
  else {
    const value = key.value(valueName)
    if (!value) throw new RegistryKeyNotFoundError(file, keyPath, valueName)
    values = [describeValue(value)]
  }
  return {hive: summarizeHive(hive, file), key: key.path, lastWritten: key.lastWritten, values}
}

function formatData(value: ValueListing): string {
  if (Array.isArray(value.data)) return value.data.map((s) => JSON.stringify(s)).join(', ')
  if (typeof value.data === 'number') return `${value.data} (0x${value.data.toString(16)})`
  return value.data
}

export function formatHiveLine(hive: HiveSummary): string {
  const state = hive.dirty ? `dirty, logs applied: ${hive.logsApplied.length ? hive.logsApplied.join(', ') : 'none'}` : 'clean'
  return `# ${hive.file}: root ${hive.rootKey}, REGF ${hive.version}, last written ${hive.lastWritten ?? '-'}, ${state}`
}

export function formatKeyListing(key: KeyListing): string[] {
  const lines = [`[${key.path || '\\'}]  last written ${key.lastWritten ?? '-'}${key.className ? `  class ${key.className}` : ''}`]
  for (const v of key.values) lines.push(`  ${v.name === '' ? '(default)' : v.name}  ${v.type}  ${formatData(v)}`)
  for (const s of key.subkeys) lines.push(`  ${s.name}\\  ${s.lastWritten ?? '-'}`)
  return lines
}

export function formatValue(value: ValueListing): string {
  return `${value.name === '' ? '(default)' : value.name}  ${value.type}  ${formatData(value)}`
}
