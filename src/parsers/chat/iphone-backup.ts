/**
 * iPhone backups made by iTunes / Apple Devices on the PC
 * (%APPDATA%\Apple Computer\MobileSync\Backup\<UDID>\ and %USERPROFILE%\Apple\MobileSync\Backup\<UDID>\).
 *
 * Layout (iOS 10 and later): Manifest.db is SQLite with
 *   Files(fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)
 * where fileID = SHA-1(domain + '-' + relativePath) and the file itself is stored as
 * <backup>/<first two hex digits of fileID>/<fileID>; flags 1 = file, 2 = directory, 4 = symlink.
 * Info.plist (XML) and Manifest.plist (binary) beside it describe the device and say whether
 * the backup is encrypted; when it is, Manifest.db and every file are AES ciphertext and
 * only the plists can be read. Backups of iOS 9 and earlier map their files in
 * Manifest.mbdb instead (manifest-mbdb.ts) and store them flat as <backup>/<fileID>.
 *
 * From the map this parser extracts the Messages database (HomeDomain Library/SMS/sms.db,
 * attachments in MediaDomain) and WhatsApp (AppDomainGroup-group.net.whatsapp.WhatsApp.shared
 * ChatStorage.sqlite, media under Message/), collecting each file it reads into the bundle.
 *
 * Coverage (coverage.ts): Manifest.db's Files rows are files listed; those read (the
 * databases, their -wal, the attachments collected) are parsed, directories and symlinks
 * are excluded as entries without content, and the other files as files of apps trawl
 * does not read from a backup (or, in an encrypted backup, files it cannot read). Each
 * extracted database has its own account, under its own bundle path.
 */
import {createHash} from 'node:crypto'
import {closeSync, openSync, readFileSync, readSync} from 'node:fs'
import {posix} from 'node:path'
import {ParseError, errorMessage} from '../../errors.js'
import {SqliteCoverage} from '../coverage.js'
import {openWorkingCopy, requireTables, tableColumns, type SqliteDatabase} from '../sqlite.js'
import type {CollectedFile, ParsedRecord, Parser, ParserInput, RecordSource} from '../types.js'
import {asParseError, besideEachOther, collectOnce, reportDatabaseCoverage, type AppDatabaseContext} from './app-database.js'
import {homeRelativeAttachmentPath, readMessagesDb, requireMessagesDb} from './imessage.js'
import {isMbdb, parseMbdb, type MbdbEntry} from './manifest-mbdb.js'
import {PlistDate, parsePlist, type PlistValue} from './plist.js'
import {readWhatsAppChatStorage, requireWhatsAppChatStorage} from './whatsapp-ios.js'

const SMS = {domain: 'HomeDomain', relativePath: 'Library/SMS/sms.db'}
const SMS_ATTACHMENTS_DOMAIN = 'MediaDomain'
const WHATSAPP = {domain: 'AppDomainGroup-group.net.whatsapp.WhatsApp.shared', relativePath: 'ChatStorage.sqlite'}

/** The name a file has inside a backup folder. */
export function backupFileId(domain: string, relativePath: string): string {
  return createHash('sha1').update(`${domain}-${relativePath}`, 'utf8').digest('hex')
}

export interface BackupDevice {
  udid: string | null
  deviceName: string | null
  productType: string | null
  productVersion: string | null
  serialNumber: string | null
  phoneNumber: string | null
  imei: string | null
  lastBackupDate: string | null
  encrypted: boolean | null
  passcodeSet: boolean | null
}

type Dict = {[key: string]: PlistValue}

function isDict(v: PlistValue | undefined): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof PlistDate)
}

function str(v: PlistValue | undefined): string | null {
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  return null
}

function date(v: PlistValue | undefined): string | null {
  return v instanceof PlistDate ? v.iso : str(v)
}

function bool(v: PlistValue | undefined): boolean | null {
  return typeof v === 'boolean' ? v : null
}

/** Device facts from Info.plist and Manifest.plist (Lockdown), the former preferred. */
export function backupDevice(info: Dict | undefined, manifest: Dict | undefined, folderName: string | null): BackupDevice {
  const lockdown = isDict(manifest?.Lockdown) ? manifest.Lockdown : undefined
  return {
    udid: str(info?.['Unique Identifier']) ?? str(info?.['Target Identifier']) ?? str(lockdown?.UniqueDeviceID) ?? folderName,
    deviceName: str(info?.['Device Name']) ?? str(lockdown?.DeviceName),
    productType: str(info?.['Product Type']) ?? str(lockdown?.ProductType),
    productVersion: str(info?.['Product Version']) ?? str(lockdown?.ProductVersion),
    serialNumber: str(info?.['Serial Number']) ?? str(lockdown?.SerialNumber),
    phoneNumber: str(info?.['Phone Number']),
    imei: str(info?.IMEI),
    lastBackupDate: date(info?.['Last Backup Date']) ?? date(manifest?.Date),
    encrypted: bool(manifest?.IsEncrypted),
    passcodeSet: bool(manifest?.WasPasscodeSet),
  }
}

export const iphoneBackupParser: Parser = {
  id: 'iphone-backup',
  description: 'iPhone backup (Manifest.db, Info.plist, Manifest.plist): device, encryption, and the Messages and WhatsApp databases inside with their attachments',
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const dir = posix.dirname(input.sourcePath)
    const folderName = input.captures.udid ?? posix.basename(dir)
    const errors: ParsedRecord[] = []

    const readPlist = async (name: string): Promise<{dict?: Dict; file?: CollectedFile}> => {
      const file = await input.collectRelated(`${dir}/${name}`)
      if (!file) return {}
      try {
        const value = parsePlist(readFileSync(file.copyPath), file.sourcePath)
        if (!isDict(value)) throw new ParseError('top object is not a dictionary', file.sourcePath)
        return {dict: value, file}
      } catch (error) {
        errors.push({type: 'error', source: {file: file.bundlePath, sourcePath: file.sourcePath, volume: input.volume}, error: `${name}: ${errorMessage(error)}`})
        return {file}
      }
    }
    const info = await readPlist('Info.plist')
    const manifest = await readPlist('Manifest.plist')
    const status = await readPlist('Status.plist')
    yield* errors
    const device = backupDevice(info.dict, manifest.dict, folderName)
    const account = device.phoneNumber ?? input.captures.account ?? device.udid
    const backup = {
      app: 'iPhone backup',
      account,
      ...device,
      backupState: str(status.dict?.BackupState),
      fullBackup: bool(status.dict?.IsFullBackup),
      infoPlist: info.file?.bundlePath ?? null,
      manifestPlist: manifest.file?.bundlePath ?? null,
    }

    const head = readHead(input.copyPath)
    let map: BackupMap
    if (isMbdb(head)) {
      map = mbdbMap(parseMbdb(readFileSync(input.copyPath), input.sourcePath), dir)
    } else if (head.toString('latin1') === 'SQLite format 3\0') {
      map = manifestDbMap(input, dir)
    } else if (device.encrypted === true) {
      // the examiner must know the phone's messages are here, behind the backup password
      yield {
        type: 'chat.backup',
        source: input.source(),
        ...backup,
        manifestReadable: false,
        note: 'encrypted backup: Manifest.db and the files are encrypted with the backup password; only the device details in Info.plist/Manifest.plist could be read',
        databases: [],
      }
      return
    } else {
      throw new ParseError(`Manifest.db is not an SQLite database and Manifest.plist does not mark the backup encrypted (IsEncrypted=${device.encrypted})`, input.sourcePath)
    }

    try {
      const fileIdOf = map.fileIdOf
      const counts = {files: map.entries, regular: map.files}
      const collectFile = collectOnce((path) => input.collectRelated(path))
      const collect = async (domain: string, relativePath: string): Promise<CollectedFile | undefined> => {
        const id = fileIdOf(domain, relativePath)
        if (id === undefined || !/^[0-9a-f]{40}$/i.test(id)) return undefined
        const file = await collectFile(map.storedPath(id))
        if (file) map.read(id)
        return file
      }

      const present = {messages: fileIdOf(SMS.domain, SMS.relativePath) !== undefined, whatsapp: fileIdOf(WHATSAPP.domain, WHATSAPP.relativePath) !== undefined}
      yield {
        type: 'chat.backup',
        source: input.source(map.kind === 'Manifest.db' ? {table: 'Files'} : {}),
        ...backup,
        manifestReadable: true,
        manifest: map.kind,
        fileCount: counts.regular,
        manifestEntries: counts.files,
        databases: [...(present.messages ? ['Messages sms.db'] : []), ...(present.whatsapp ? ['WhatsApp ChatStorage.sqlite'] : [])],
        ...(device.encrypted === true
          ? {note: 'encrypted backup with a readable file map (Manifest.mbdb, or Manifest.db of iOS 10.0/10.1): the files it lists are encrypted with the backup password and were not read'}
          : {}),
      }
      // the stored files of an encrypted backup are ciphertext: reading them would only produce errors
      if (device.encrypted === true) return

      const extracted = async function* (
        target: {domain: string; relativePath: string},
        name: string,
        check: (db: SqliteDatabase, file: string) => void,
        read: (db: SqliteDatabase, context: AppDatabaseContext, coverage: SqliteCoverage) => AsyncGenerator<ParsedRecord>,
        readAs: string,
        collectAttachment: (stored: string) => Promise<CollectedFile | undefined>,
      ): AsyncGenerator<ParsedRecord> {
        if (fileIdOf(target.domain, target.relativePath) === undefined) return
        const where = `${target.domain}/${target.relativePath} in ${input.sourcePath}`
        const file = await collect(target.domain, target.relativePath)
        if (!file) {
          yield {type: 'error', source: input.source(map.kind === 'Manifest.db' ? {table: 'Files'} : {}), error: `${where}: listed in ${map.kind} but its file ${backupFileId(target.domain, target.relativePath)} is missing`}
          return
        }
        const wal = await collect(target.domain, `${target.relativePath}-wal`)
        const origin = {udid: device.udid, manifest: input.bundlePath, domain: target.domain, relativePath: target.relativePath}
        const source = (extra: {table: string; rowid?: number}): RecordSource => ({file: file.bundlePath, sourcePath: file.sourcePath, volume: input.volume, ...extra})
        const local = besideEachOther(file, wal, name)
        let db: SqliteDatabase
        try {
          db = openWorkingCopy(local.path)
        } catch (error) {
          local.remove()
          yield {type: 'error', source: {file: file.bundlePath, sourcePath: file.sourcePath, volume: input.volume}, error: `${where}: ${errorMessage(error)}`}
          return
        }
        try {
          check(db, where)
        } catch (error) {
          db.close()
          local.remove()
          yield {type: 'error', source: {file: file.bundlePath, sourcePath: file.sourcePath, volume: input.volume}, error: `${where}: ${errorMessage(error)}`}
          return
        }
        const coverage = new SqliteCoverage(db)
        try {
          for await (const record of read(db, {account, source, collectAttachment}, coverage)) yield {...record, backup: origin}
        } catch (error) {
          yield {type: 'error', source: {file: file.bundlePath, sourcePath: file.sourcePath, volume: input.volume}, error: `${where}: ${errorMessage(error)}`}
        } finally {
          // also after a failure half-way: the rows not reached then show as unexplained
          reportDatabaseCoverage(input, coverage, parserId, `${readAs} from iPhone backup ${device.udid ?? folderName}`, file)
          db.close()
          local.remove()
        }
      }

      yield* extracted(SMS, 'sms.db', requireMessagesDb, readMessagesDb, 'Apple Messages sms.db', async (stored) => {
        const relative = homeRelativeAttachmentPath(stored)
        return relative === null ? undefined : collect(SMS_ATTACHMENTS_DOMAIN, relative)
      })
      yield* extracted(WHATSAPP, 'ChatStorage.sqlite', requireWhatsAppChatStorage, readWhatsAppChatStorage, 'WhatsApp for iOS ChatStorage.sqlite', async (stored) => {
        // ZMEDIALOCALPATH is relative to the app group's Message folder
        const relative = stored.replace(/^\/+/, '')
        return (await collect(WHATSAPP.domain, `Message/${relative}`)) ?? (await collect(WHATSAPP.domain, relative))
      })
    } catch (error) {
      throw asParseError(error, input.sourcePath)
    } finally {
      map.report(device.encrypted === true)
      map.close()
    }
  },
}

const parserId = 'iphone-backup'

/** Where each backed-up file is stored: from Manifest.db (iOS 10+) or Manifest.mbdb (earlier). */
interface BackupMap {
  fileIdOf(domain: string, relativePath: string): string | undefined
  storedPath(fileId: string): string
  /** Entries in the map, and how many of them are regular files. */
  entries: number
  files: number
  kind: 'Manifest.db' | 'Manifest.mbdb'
  /** The stored file `fileId` was read (collected into the bundle). */
  read(fileId: string): void
  /** Hands over the coverage account of the map (Manifest.db only: Manifest.mbdb is not a database). */
  report(encrypted: boolean): void
  close(): void
}

function readHead(path: string): Buffer {
  const head = Buffer.alloc(16)
  const fd = openSync(path, 'r')
  try {
    return head.subarray(0, readSync(fd, head, 0, 16, 0))
  } finally {
    closeSync(fd)
  }
}

function manifestDbMap(input: ParserInput, dir: string): BackupMap {
  const db = openWorkingCopy(input.copyPath)
  try {
    requireTables(db, ['Files'], 'iPhone backup Manifest.db', input.sourcePath)
    const cols = tableColumns(db, 'Files')
    if (!cols.has('fileid') || !cols.has('domain') || !cols.has('relativepath')) throw new ParseError('not an iPhone backup Manifest.db: Files has no fileID/domain/relativePath', input.sourcePath)
    const counts = db.prepare(`SELECT count(*) AS entries, ${cols.has('flags') ? 'sum(flags = 1)' : 'count(*)'} AS files FROM Files`).get() as {entries: number; files: number | null}
    const lookup = db.prepare('SELECT fileID FROM Files WHERE domain = ? AND relativePath = ? LIMIT 1').pluck()
    const coverage = new SqliteCoverage(db).table('Files')
    const read = new Set<string>()
    return {
      kind: 'Manifest.db',
      read: (id) => {
        read.add(id)
        coverage.parsed('Files', id)
      },
      report: (encrypted) => {
        if (cols.has('flags')) {
          coverage.excludeWhere('Files', 'directory entries (no content)', 'flags = 2')
          coverage.excludeWhere('Files', 'symbolic link entries (no content)', 'flags = 4')
          coverage.excludeWhere('Files', 'entries of another kind (flags not 1, 2 or 4)', 'flags NOT IN (1, 2, 4) OR flags IS NULL')
        }
        // every file read is a regular file (flags 1): the rest of them were not read
        coverage.exclude(
          'Files',
          encrypted ? 'files of an encrypted backup (ciphertext without the backup password)' : 'files of apps and domains trawl does not read from a backup (not collected)',
          (counts.files ?? 0) - read.size,
        )
        reportDatabaseCoverage(input, coverage, parserId, 'iPhone backup Manifest.db')
      },
      entries: counts.entries,
      files: counts.files ?? 0,
      fileIdOf: (domain, relativePath) => {
        const id = lookup.get(domain, relativePath)
        return typeof id === 'string' ? id : undefined
      },
      // iOS 10 and later: <backup>/<first two hex digits>/<fileID>
      storedPath: (id) => `${dir}/${id.slice(0, 2).toLowerCase()}/${id}`,
      close: () => db.close(),
    }
  } catch (error) {
    db.close()
    throw error
  }
}

function mbdbMap(entries: MbdbEntry[], dir: string): BackupMap {
  const byPath = new Map(entries.map((e) => [`${e.domain}\u0000${e.path}`, e.fileId]))
  return {
    kind: 'Manifest.mbdb',
    entries: entries.length,
    files: entries.filter((e) => (e.mode & 0xf000) === 0x8000).length,
    fileIdOf: (domain, relativePath) => byPath.get(`${domain}\u0000${relativePath}`),
    // before iOS 10 the files sit in the backup folder itself
    storedPath: (id) => `${dir}/${id}`,
    read: () => undefined,
    report: () => undefined,
    close: () => undefined,
  }
}

