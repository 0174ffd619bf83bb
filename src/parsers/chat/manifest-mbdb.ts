/**
 * Manifest.mbdb: the file map of iPhone backups made before iOS 10 (replaced by Manifest.db).
 *
 * Layout (big-endian): 'mbdb' 0x05 0x00, then one record per file until the end:
 *   domain, path, link target, data hash, encryption key   (strings)
 *   mode u16, inode u64, uid u32, gid u32, mtime u32, atime u32, ctime u32, size u64,
 *   protection class u8, property count u8, then that many (name, value) string pairs.
 * A string is a u16 length and that many bytes; length 0xFFFF means none.
 * The file is stored in the backup folder itself as SHA-1(domain + '-' + path), without
 * the two-hex-digit subfolders of later backups. Mode 0x8000 is a file, 0x4000 a folder,
 * 0xA000 a symbolic link.
 */
import {createHash} from 'node:crypto'
import {ParseError} from '../../errors.js'

export interface MbdbEntry {
  domain: string
  path: string
  fileId: string
  mode: number
  size: number
  mtime: number
  /** Byte offset of the record in Manifest.mbdb. */
  offset: number
}

const MAGIC = Buffer.from([0x6d, 0x62, 0x64, 0x62, 0x05, 0x00])

export function isMbdb(head: Buffer): boolean {
  return head.length >= 6 && head.subarray(0, 6).equals(MAGIC)
}

export function parseMbdb(data: Buffer, location: string): MbdbEntry[] {
  if (!isMbdb(data)) throw new ParseError('not a Manifest.mbdb: bad header', location)
  const entries: MbdbEntry[] = []
  let at = 6
  const fail = (what: string, offset: number): never => {
    throw new ParseError(`Manifest.mbdb: ${what} at offset ${offset}`, location)
  }
  const need = (n: number, what: string): void => {
    if (at + n > data.length) fail(`${what} runs past the end of the file`, at)
  }
  const string = (what: string): string | null => {
    need(2, what)
    const length = data.readUInt16BE(at)
    at += 2
    if (length === 0xffff) return null
    need(length, what)
    const value = data.subarray(at, at + length).toString('utf8')
    at += length
    return value
  }
  while (at < data.length) {
    const offset = at
    const domain = string('domain') ?? ''
    const path = string('path') ?? ''
    string('link target')
    string('data hash')
    string('encryption key')
    need(2 + 8 + 4 * 5 + 8 + 2, 'file attributes')
    const mode = data.readUInt16BE(at)
    const mtime = data.readUInt32BE(at + 2 + 8 + 8)
    const size = Number(data.readBigUInt64BE(at + 2 + 8 + 4 * 5))
    const properties = data[at + 2 + 8 + 4 * 5 + 8 + 1]
    at += 2 + 8 + 4 * 5 + 8 + 2
    for (let i = 0; i < properties; i++) {
      string('property name')
      string('property value')
    }
    const fileId = createHash('sha1').update(`${domain}-${path}`, 'utf8').digest('hex')
    entries.push({domain, path, fileId, mode, size, mtime, offset})
  }
  return entries
}
