/**
 * Reads the text regfexport (libregf 20201007) prints for a hive, so tests can compare
 * every key and value with the native reader. Goldens are stored brotli-compressed
 * by fixtures/registry/build.sh.
 */
import {readFileSync} from 'node:fs'
import {brotliDecompressSync} from 'node:zlib'

export interface ExportedValue {
  index: number
  name: string
  /** The type as regfexport names it: 'REG_SZ', 'REG_DWORD_LITTLE_ENDIAN', 'unknown: 0x000001f4'. */
  type: string
  dataSize: number
  /** Data printed as text (strings, integers). */
  text?: string
  /** Data printed as a hex dump. */
  bytes?: Buffer
  /** regfexport found the size wrong for the type ("Mismatch in data size ..."). */
  mismatch?: boolean
}

export interface ExportedKey {
  /** Full path including the root key's name, '\\'-separated. */
  path: string
  name: string
  className?: string
  values: ExportedValue[]
}

export function readGolden(path: string): string {
  const raw = readFileSync(path)
  return path.endsWith('.br') ? brotliDecompressSync(raw).toString('utf8') : raw.toString('utf8')
}

const HEX_LINE = /^[0-9a-f]{8}: /

export function parseRegfexport(text: string): ExportedKey[] {
  const lines = text.split('\n')
  const keys: ExportedKey[] = []
  let key: ExportedKey | undefined
  let value: ExportedValue | undefined
  const startsRecord = (i: number): boolean => {
    // the next record, or only blank lines up to the end of the output
    for (let j = i; j < lines.length; j++) {
      if (lines[j] !== '') return lines[j].startsWith('Value: ') || lines[j].startsWith('Key path: ')
    }
    return true
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line.startsWith('Key path: ')) {
      key = {path: line.slice('Key path: '.length), name: '', values: []}
      keys.push(key)
      value = undefined
    } else if (line.startsWith('Key: ') && key && key.name === '' && key.values.length === 0) {
      key.name = line.slice('Key: '.length)
    } else if (line.startsWith('Class name: ') && key) {
      key.className = line.slice('Class name: '.length)
    } else if (line.startsWith('Value: ') && key) {
      const rest = line.slice('Value: '.length)
      const space = rest.indexOf(' ')
      const name = rest.slice(space + 1)
      value = {index: Number(rest.slice(0, space)), name: name === '(default)' ? '' : name, type: '', dataSize: 0}
      key.values.push(value)
    } else if (line.startsWith('Type: ') && value) {
      const m = /\(([A-Z_]+)\)$/.exec(line)
      value.type = m ? m[1] : line.slice('Type: '.length)
    } else if (line.startsWith('Data size: ') && value) {
      value.dataSize = Number(line.slice('Data size: '.length))
    } else if (line.startsWith('Mismatch in data size') && value) {
      value.mismatch = true
    } else if (line === 'Data:' && value) {
      const chunks: Buffer[] = []
      while (i + 1 < lines.length && HEX_LINE.test(lines[i + 1])) {
        i++
        // "00000000: bb 44 79 89 ed 1e d2 01  ..." : 16 bytes as hex pairs, split 8 + 8, then ASCII
        const hex = lines[i].slice(10, 10 + 49).trim().split(/\s+/).filter((h) => /^[0-9a-f]{2}$/.test(h))
        chunks.push(Buffer.from(hex.join(''), 'hex'))
      }
      value.bytes = Buffer.concat(chunks)
    } else if (line.startsWith('Data: ') && value) {
      // text runs until a blank line followed by the next record
      const parts = [line.slice('Data: '.length)]
      while (i + 1 < lines.length && !(lines[i + 1] === '' && startsRecord(i + 2))) {
        i++
        parts.push(lines[i])
      }
      value.text = parts.join('\n')
    }
  }
  return keys
}
