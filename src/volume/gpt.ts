import {crc32} from 'node:zlib'
import {CorruptImageError} from '../errors.js'
import type {ByteSource} from '../image/byte-source.js'
import type {Partition, PartitionMeta, VolumeSystem} from './types.js'

/**
 * GUID Partition Table (UEFI specification, chapter 5 "GUID Partition Table
 * (GPT) Disk Layout"): a protective MBR in LBA 0, the header ("EFI PART") in
 * LBA 1 with a CRC32 over itself and one over the partition entry array, and a
 * backup header in the last LBA. A damaged primary header falls back to the
 * backup; both damaged is a CorruptImageError.
 */

export const GPT_SIGNATURE = 'EFI PART'

/** Partition type GUIDs examiners meet most (UEFI spec table 5-7, Microsoft and freedesktop.org lists). */
const GPT_TYPE_NAMES: Record<string, string> = {
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'EFI System partition',
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE': 'Microsoft reserved partition',
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': 'Basic data partition',
  'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC': 'Windows recovery partition',
  '5808C8AA-7E8F-42E0-85D2-E1E90434CFB3': 'Windows LDM metadata partition',
  'AF9B60A0-1431-4F62-BC68-3311714A69AD': 'Windows LDM data partition',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'Linux filesystem',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'Linux swap',
  'E6D6D379-F507-44C2-A23C-238F2A3DF928': 'Linux LVM',
  'A19D880F-05FC-4D3B-A006-743F0F84911E': 'Linux RAID',
  '21686148-6449-6E6F-744E-656564454649': 'BIOS boot partition',
  '48465300-0000-11AA-AA11-00306543ECAC': 'Apple HFS+',
  '7C3457EF-0000-11AA-AA11-00306543ECAC': 'Apple APFS',
}

export function gptTypeDescription(guid: string): string {
  return GPT_TYPE_NAMES[guid] ?? `Unknown type ${guid}`
}

/** A GUID as text: the first three fields are little-endian on disk. */
export function formatGuid(bytes: Buffer): string {
  const hex = (b: Buffer) => b.toString('hex').toUpperCase()
  const le = (start: number, end: number) => hex(Buffer.from(bytes.subarray(start, end)).reverse())
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(bytes.subarray(8, 10))}-${hex(bytes.subarray(10, 16))}`
}

interface GptHeader {
  currentLba: number
  backupLba: number
  firstUsable: number
  lastUsable: number
  diskGuid: string
  entriesLba: number
  entryCount: number
  entrySize: number
  entriesCrc: number
}

/** Parses and checks a header at `lba`; returns a reason string when it is not valid. */
function readHeader(disk: ByteSource, lba: number, sectorSize: number): GptHeader | string {
  const sector = disk.read(lba * sectorSize, sectorSize)
  if (sector.length < 92) return `no GPT header at LBA ${lba} (beyond the image)`
  if (sector.toString('latin1', 0, 8) !== GPT_SIGNATURE) return `no "EFI PART" signature at LBA ${lba}`
  const headerSize = sector.readUInt32LE(12)
  if (headerSize < 92 || headerSize > sectorSize) return `GPT header at LBA ${lba} gives an invalid header size ${headerSize}`
  const copy = Buffer.from(sector.subarray(0, headerSize))
  const stored = copy.readUInt32LE(16)
  copy.writeUInt32LE(0, 16)
  if (crc32(copy) !== stored) return `GPT header at LBA ${lba} fails its CRC32 check`
  const header: GptHeader = {
    currentLba: Number(sector.readBigUInt64LE(24)),
    backupLba: Number(sector.readBigUInt64LE(32)),
    firstUsable: Number(sector.readBigUInt64LE(40)),
    lastUsable: Number(sector.readBigUInt64LE(48)),
    diskGuid: formatGuid(sector.subarray(56, 72)),
    entriesLba: Number(sector.readBigUInt64LE(72)),
    entryCount: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
  }
  if (header.entrySize < 128 || header.entrySize % 8 !== 0 || header.entrySize > 4096) {
    return `GPT header at LBA ${lba} gives an invalid entry size ${header.entrySize}`
  }
  // The specification asks for at least 16 KiB of entries; more than 4 MiB is damage, not a disk.
  if (header.entryCount * header.entrySize > 4 * 1024 * 1024) return `GPT header at LBA ${lba} lists ${header.entryCount} entries of ${header.entrySize} bytes`
  return header
}

function readEntries(disk: ByteSource, header: GptHeader, sectorSize: number): Buffer | string {
  const length = header.entryCount * header.entrySize
  const entries = disk.read(header.entriesLba * sectorSize, length)
  if (entries.length < length) return `GPT partition entries at LBA ${header.entriesLba} run past the end of the image`
  if (crc32(entries) !== header.entriesCrc) return `GPT partition entries at LBA ${header.entriesLba} fail their CRC32 check`
  return entries
}

/** The sector size at which a GPT header is found (512 or 4096), or undefined. */
export function gptSectorSize(disk: ByteSource): number | undefined {
  for (const size of [512, 4096]) {
    if (disk.read(size, 8).toString('latin1') === GPT_SIGNATURE) return size
  }
  return undefined
}

export function readGpt(disk: ByteSource, sectorSize = gptSectorSize(disk) ?? 512): VolumeSystem {
  const warnings: string[] = []
  let header = readHeader(disk, 1, sectorSize)
  let entries: Buffer | string = typeof header === 'string' ? header : readEntries(disk, header, sectorSize)
  if (typeof header === 'string' || typeof entries === 'string') {
    const primaryProblem = typeof header === 'string' ? header : (entries as string)
    const lastLba = Math.floor(disk.size / sectorSize) - 1
    const backupLba = typeof header !== 'string' && header.backupLba > 1 && header.backupLba <= lastLba ? header.backupLba : lastLba
    const backup = readHeader(disk, backupLba, sectorSize)
    const backupEntries = typeof backup === 'string' ? backup : readEntries(disk, backup, sectorSize)
    if (typeof backup === 'string' || typeof backupEntries === 'string') {
      throw new CorruptImageError(`GPT: ${primaryProblem}, and the backup is unusable too (${typeof backup === 'string' ? backup : backupEntries})`, sectorSize)
    }
    warnings.push(`${primaryProblem}; partitions read from the backup GPT header at LBA ${backupLba}`)
    header = backup
    entries = backupEntries
  }

  const diskSectors = Math.floor(disk.size / sectorSize)
  const meta: PartitionMeta[] = [
    {startSector: 0, sectorCount: 1, description: 'Safety Table'},
    {startSector: 1, sectorCount: 1, description: 'GPT Header'},
    {startSector: header.entriesLba, sectorCount: Math.ceil((header.entryCount * header.entrySize) / sectorSize), description: 'Partition Table'},
  ]
  const found: Array<Omit<Partition, 'index'>> = []
  for (let i = 0; i < header.entryCount; i++) {
    const entry = entries.subarray(i * header.entrySize, (i + 1) * header.entrySize)
    const typeBytes = entry.subarray(0, 16)
    if (typeBytes.every((b) => b === 0)) continue
    const type = formatGuid(typeBytes)
    const first = Number(entry.readBigUInt64LE(32))
    const last = Number(entry.readBigUInt64LE(40))
    if (last < first) {
      warnings.push(`GPT entry ${i}: last LBA ${last} before first LBA ${first}, ignored`)
      continue
    }
    if (last >= diskSectors) warnings.push(`GPT entry ${i} ends at LBA ${last}, beyond the image's last sector ${diskSectors - 1}`)
    const nameRaw = entry.subarray(56, 128).toString('utf16le')
    const nul = nameRaw.indexOf('\0')
    const name = nul === -1 ? nameRaw : nameRaw.slice(0, nul)
    found.push({
      scheme: 'gpt',
      slot: String(i).padStart(3, '0'),
      sectorSize,
      startSector: first,
      sectorCount: last - first + 1,
      offset: first * sectorSize,
      size: (last - first + 1) * sectorSize,
      type,
      description: gptTypeDescription(type),
      name,
      guid: formatGuid(entry.subarray(16, 32)),
    })
  }
  const partitions = found
    .map((p, order) => ({p, order}))
    .sort((a, b) => a.p.startSector - b.p.startSector || a.order - b.order)
    .map(({p}, i) => ({...p, index: i + 1}))
  return {scheme: 'gpt', sectorSize, partitions, meta, diskGuid: header.diskGuid, warnings}
}
