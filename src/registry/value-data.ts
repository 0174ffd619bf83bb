/**
 * Registry value data types and their decoding (libregf format, "Data types";
 * Suhanov, "Key value" / "Data types"). Strings are UTF-16LE; a REG_SZ may lack
 * its terminator or carry bytes after it ("String value data too large"), so a
 * string ends at the first NUL character.
 */

export const RegistryValueType = {
  REG_NONE: 0,
  REG_SZ: 1,
  REG_EXPAND_SZ: 2,
  REG_BINARY: 3,
  REG_DWORD: 4,
  REG_DWORD_BIG_ENDIAN: 5,
  REG_LINK: 6,
  REG_MULTI_SZ: 7,
  REG_RESOURCE_LIST: 8,
  REG_FULL_RESOURCE_DESCRIPTOR: 9,
  REG_RESOURCE_REQUIREMENTS_LIST: 10,
  REG_QWORD: 11,
} as const

const TYPE_NAMES = [
  'REG_NONE',
  'REG_SZ',
  'REG_EXPAND_SZ',
  'REG_BINARY',
  'REG_DWORD',
  'REG_DWORD_BIG_ENDIAN',
  'REG_LINK',
  'REG_MULTI_SZ',
  'REG_RESOURCE_LIST',
  'REG_FULL_RESOURCE_DESCRIPTOR',
  'REG_RESOURCE_REQUIREMENTS_LIST',
  'REG_QWORD',
]

/** 'REG_SZ', ... or '0x000001f4' for types outside the documented set (SAM stores RIDs there). */
export function valueTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `0x${type.toString(16).padStart(8, '0')}`
}

const utf16le = new TextDecoder('utf-16le')

/** A UTF-16LE string up to its first NUL character (or the end of the data). */
export function decodeRegistryString(data: Buffer): string {
  const even = data.length - (data.length % 2)
  let end = 0
  while (end < even && !(data[end] === 0 && data[end + 1] === 0)) end += 2
  return utf16le.decode(data.subarray(0, end))
}

/** REG_MULTI_SZ: NUL-terminated UTF-16LE strings, the list ended by an empty string (a last unterminated string is kept). */
export function decodeMultiString(data: Buffer): string[] {
  const even = data.length - (data.length % 2)
  const strings: string[] = []
  let start = 0
  for (let i = 0; i <= even; i += 2) {
    const atEnd = i === even
    if (atEnd || (data[i] === 0 && data[i + 1] === 0)) {
      if (i === start) break // the empty string that ends the list, or the end of the data
      strings.push(utf16le.decode(data.subarray(start, i)))
      start = i + 2
    }
  }
  return strings
}

/** What a value means: a string, a list of strings, an integer, or bytes. */
export type DecodedValue =
  | {kind: 'string'; value: string}
  | {kind: 'strings'; value: string[]}
  | {kind: 'integer'; value: number}
  | {kind: 'qword'; value: bigint}
  | {kind: 'binary'; value: Buffer}

/**
 * Decodes value data by its type. Integers whose data has the wrong size are
 * shown as bytes, as the Windows registry editor does ("Integer value data too large").
 */
export function decodeValueData(type: number, data: Buffer): DecodedValue {
  switch (type) {
    case RegistryValueType.REG_SZ:
    case RegistryValueType.REG_EXPAND_SZ:
    case RegistryValueType.REG_LINK:
      return {kind: 'string', value: decodeRegistryString(data)}
    case RegistryValueType.REG_MULTI_SZ:
      return {kind: 'strings', value: decodeMultiString(data)}
    case RegistryValueType.REG_DWORD:
      if (data.length === 4) return {kind: 'integer', value: data.readUInt32LE(0)}
      break
    case RegistryValueType.REG_DWORD_BIG_ENDIAN:
      if (data.length === 4) return {kind: 'integer', value: data.readUInt32BE(0)}
      break
    case RegistryValueType.REG_QWORD:
      if (data.length === 8) return {kind: 'qword', value: data.readBigUInt64LE(0)}
      break
  }
  return {kind: 'binary', value: data}
}

/** A JSON-safe rendering: strings as is, QWORDs as decimal strings, bytes as hex. */
export function decodedToJson(decoded: DecodedValue): string | number | string[] {
  switch (decoded.kind) {
    case 'string':
    case 'strings':
    case 'integer':
      return decoded.value
    case 'qword':
      return decoded.value.toString()
    case 'binary':
      return decoded.value.toString('hex')
  }
}
