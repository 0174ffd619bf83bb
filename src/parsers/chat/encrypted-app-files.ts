/**
 * Messenger files trawl collects but cannot read off the machine, reported one record per
 * file so the examiner sees in the summary what is there, what is encrypted, and why.
 * Nothing is decrypted or parsed: the file's first bytes are checked (a plain SQLite header
 * says it is not encrypted after all; Telegram Desktop files carry the 'TDF$' magic and a
 * version), and the definition's attributes say how the app protects it and what would
 * unlock it (attributes `encryption` and `unlockWith`, ';'-separated).
 *
 * - WhatsApp Desktop (Store app, 5319275A.WhatsAppDesktop_cv1g1gvanyjgm\LocalState): its
 *   *.db files are SQLite encrypted with a key the app keeps in nondb_settings*.dat, which
 *   is itself protected with the user's DPAPI keys (public forensic write-ups; not verified
 *   by trawl beyond the header check).
 * - WhatsApp Desktop (old Electron app, %APPDATA%\WhatsApp): a Chromium profile whose
 *   IndexedDB (LevelDB) holds WhatsApp Web's store; message content there is encrypted by
 *   the web client with keys kept in the same IndexedDB (not read: trawl has no LevelDB
 *   reader yet).
 * - Telegram Desktop (%APPDATA%\Telegram Desktop\tdata): every file is 'TDF$' + version +
 *   data + MD5; key_datas holds the local key encrypted under a key derived from the local
 *   passcode (an empty passcode when none is set), and the account files (maps, settings,
 *   the 16-hex-digit files) are AES-256-IGE under that local key.
 */
import {closeSync, openSync, readSync} from 'node:fs'
import type {ParsedRecord, Parser, ParserInput} from '../types.js'

const SQLITE_MAGIC = 'SQLite format 3\0'
const HEAD = 64

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(HEAD)
    return buf.subarray(0, readSync(fd, buf, 0, HEAD, 0))
  } finally {
    closeSync(fd)
  }
}

export interface FileFormat {
  format: string
  /** true: not readable as is; false: a plain format; null: cannot tell from the first bytes. */
  encrypted: boolean | null
}

/** What the first bytes of a messenger file say about it. */
export function sniffFormat(head: Buffer): FileFormat {
  if (head.length === 0) return {format: 'empty file', encrypted: false}
  if (head.length >= 16 && head.subarray(0, 16).toString('latin1') === SQLITE_MAGIC) return {format: 'plain SQLite database', encrypted: false}
  if (head.length >= 8 && head.subarray(0, 4).toString('latin1') === 'TDF$') return {format: `Telegram Desktop file (TDF$, app version ${head.readInt32LE(4)})`, encrypted: true}
  if (head.length >= 4 && head.subarray(0, 4).toString('latin1') === 'DPAP') return {format: 'DPAPI blob', encrypted: true}
  if (head.length >= 20 && head.readUInt32LE(0) === 1 && head.subarray(4, 20).toString('hex') === 'd08c9ddf0115d1118c7a00c04fc297eb') return {format: 'DPAPI blob', encrypted: true}
  const printable = [...head].filter((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09).length
  if (printable === head.length) return {format: 'text', encrypted: false}
  return {format: 'no known header (consistent with ciphertext)', encrypted: null}
}

export const encryptedAppFileParser: Parser = {
  id: 'encrypted-app-file',
  description: 'Messenger files collected byte-exact but not readable off the machine (WhatsApp Desktop, Telegram Desktop): what each is, whether it is encrypted, and what would unlock it',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const found = sniffFormat(readHead(input.copyPath))
    const app = input.attributes.app ?? null
    const encryption = input.attributes.encryption ?? null
    const record: ParsedRecord = {
      type: 'chat.encrypted-store',
      source: input.source(),
      app,
      account: input.captures.account ?? null,
      user: input.captures.user ?? null,
      role: input.attributes.role ?? null,
      format: found.format,
      encrypted: found.encrypted,
      sha256: input.sha256 ?? null,
      encryption,
      unlockWith: (input.attributes.unlockWith ?? '').split(';').map((s) => s.trim()).filter((s) => s !== ''),
      note:
        found.encrypted === false && found.format === 'plain SQLite database'
          ? `a plain SQLite database where ${app ?? 'the app'} keeps encrypted ones: not encrypted, collected, not parsed (trawl has no reader for it)`
          : `collected byte-exact, not parsed: ${encryption ?? 'encrypted by the app'}`,
    }
    yield record
  },
}
