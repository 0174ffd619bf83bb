/**
 * The value of an IndexedDB object-store record: a varint version, then Blink's
 * SerializedScriptValue (third_party/blink/.../serialization/): either wrapped (the pseudo-version
 * 0xFF 0x11 followed by 0x01 "the value is in a blob" or 0x02 "snappy-compressed"), or Blink's
 * header 0xFF <version> (from version 21 a trailer offset tag 0xFE, 8 + 4 bytes) and V8's
 * ValueSerializer data.
 */
import {snappyDecompress} from '../leveldb/index.js'
import {KeyReader} from './key-coding.js'
import {V8Deserializer, V8ValueError} from './v8-value.js'
import type {JsonValue} from './v8-value.js'

export interface DecodedValue {
  /** The record's IndexedDB version number. */
  version: number
  value?: JsonValue
  blinkVersion?: number
  v8Version?: number
  /** 'snappy' when Blink compressed the value. */
  wrapping?: 'snappy' | 'blob'
  /** For a value wrapped into a blob: where its bytes are (index into the record's blob list). */
  wrappedBlob?: {blobIndex: number; size: number}
  /** Why the value could not be (wholly) decoded, with the offset in the value bytes. */
  error?: string
}

const PSEUDO_VERSION = 0x11
const REPLACE_WITH_BLOB = 0x01
const COMPRESSED_WITH_SNAPPY = 0x02
const TRAILER_OFFSET_TAG = 0xfe

/** Blink's header and the V8 data of a SerializedScriptValue. */
export function decodeSerializedValue(bytes: Uint8Array): Omit<DecodedValue, 'version'> {
  const out: Omit<DecodedValue, 'version'> = {}
  try {
    if (bytes[0] === 0xff && bytes[1] === PSEUDO_VERSION) {
      if (bytes[2] === COMPRESSED_WITH_SNAPPY) return {...decodeSerializedValue(snappyDecompress(bytes.subarray(3))), wrapping: 'snappy'}
      if (bytes[2] === REPLACE_WITH_BLOB) {
        const r = new KeyReader(bytes, 3)
        const size = r.varint('wrapped value size')
        return {wrapping: 'blob', wrappedBlob: {size, blobIndex: r.varint('wrapped value blob index')}}
      }
      return {error: `Blink wrapping type 0x${(bytes[2] ?? 0).toString(16)} is not decoded by trawl`}
    }
    const d = new V8Deserializer(bytes)
    d.readHeader()
    out.blinkVersion = d.version
    if (bytes[d.pos] === TRAILER_OFFSET_TAG) d.pos += 13
    // Blink's own header precedes V8's from Blink version 13 on; a bare V8 header is older data.
    if (bytes[d.pos] === 0xff) d.readHeader()
    out.v8Version = d.version
    out.value = d.readValue()
  } catch (e) {
    if (!(e instanceof V8ValueError) && !(e instanceof Error)) throw e
    out.error = e instanceof V8ValueError ? `${e.message} (value byte ${e.offset})` : e.message
  }
  return out
}

export function decodeRecordValue(bytes: Uint8Array): DecodedValue {
  const r = new KeyReader(bytes)
  let version: number
  try {
    version = r.varint('record version')
  } catch (e) {
    return {version: -1, error: (e as Error).message}
  }
  return {version, ...decodeSerializedValue(bytes.subarray(r.pos))}
}
