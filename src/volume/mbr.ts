import {CorruptImageError} from '../errors.js'
import type {ByteSource} from '../image/byte-source.js'
import {isVolumeBootSector} from './fs-sniff.js'
import type {Partition, PartitionMeta, VolumeSystem} from './types.js'

/**
 * DOS/MBR partition table: four 16-byte entries at offset 446 of sector 0,
 * signature 0x55 0xAA at 510. An extended partition (type 0x05, 0x0F or 0x85)
 * holds a chain of extended boot records (EBRs), each with one logical
 * partition (start relative to the EBR) and a link to the next EBR (start
 * relative to the extended partition). Partitions are numbered as The Sleuth
 * Kit's mmls numbers them: slot 'table:entry', listed by start sector.
 */

const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85])
/** A disk has no business holding more logical partitions than this; beyond it the chain is damaged. */
const MAX_EXTENDED_TABLES = 1024

/**
 * Partition type names as mmls (The Sleuth Kit 4.11) prints them, observed by
 * running mmls on sfdisk-made tables, so trawl's listing reads the same as the
 * examiner's other tool. Types mmls does not name are 'Unknown Type'.
 */
const MBR_TYPE_NAMES: Record<number, string> = {
  0x01: 'DOS FAT12',
  0x04: 'DOS FAT16',
  0x05: 'DOS Extended',
  0x06: 'DOS FAT16',
  0x07: 'NTFS / exFAT',
  0x08: 'AIX Boot',
  0x0b: 'Win95 FAT32',
  0x0c: 'Win95 FAT32',
  0x0e: 'Win95 FAT16',
  0x0f: 'Win95 Extended',
  0x11: 'DOS FAT12 Hidden',
  0x12: 'Hibernation',
  0x14: 'DOS FAT16 Hidden',
  0x16: 'DOS FAT16 Hidden',
  0x17: 'Hidden IFS/HPFS',
  0x1b: 'Win95 FAT32 Hidden',
  0x1c: 'Win95 FAT32 Hidden',
  0x1e: 'Win95 FAT16 Hidden',
  0x42: 'Win LVM / Secure FS',
  0x82: 'Linux Swap / Solaris x86',
  0x83: 'Linux',
  0x85: 'Linux Extended',
  0x86: 'NTFS Volume Set',
  0x87: 'NTFS Volume Set',
  0x8e: 'Linux Logical Volume Manager',
  0xa5: 'BSD/386, 386BSD, NetBSD, FreeBSD',
  0xa6: 'OpenBSD',
  0xa8: 'Mac OS X',
  0xa9: 'NetBSD',
  0xab: 'Mac OS X Boot Partition',
  0xaf: 'Mac OS X HFS',
  0xee: 'GPT Safety Partition',
  0xef: 'EFI File System',
  0xfd: 'Linux RAID',
}

export function mbrTypeDescription(type: number): string {
  const hex = type.toString(16).padStart(2, '0')
  return `${MBR_TYPE_NAMES[type] ?? 'Unknown Type'} (0x${hex})`
}

interface MbrEntry {
  bootFlag: number
  type: number
  start: number
  count: number
}

function parseEntries(sector: Buffer): MbrEntry[] {
  const entries: MbrEntry[] = []
  for (let i = 0; i < 4; i++) {
    const at = 446 + i * 16
    entries.push({bootFlag: sector[at], type: sector[at + 4], start: sector.readUInt32LE(at + 8), count: sector.readUInt32LE(at + 12)})
  }
  return entries
}

/**
 * True if sector 0 is a partition table: the 0x55AA signature, boot flags that
 * are 0x00 or 0x80, at least one used entry, and not a volume boot sector
 * (FAT and NTFS boot sectors also end in 0x55AA).
 */
export function looksLikeMbr(sector0: Buffer): boolean {
  if (sector0.length < 512 || sector0[510] !== 0x55 || sector0[511] !== 0xaa) return false
  if (isVolumeBootSector(sector0)) return false
  const entries = parseEntries(sector0)
  if (entries.some((e) => e.bootFlag !== 0x00 && e.bootFlag !== 0x80)) return false
  return entries.some((e) => e.type !== 0 && e.count > 0)
}

export function readMbr(disk: ByteSource, sectorSize = 512): VolumeSystem {
  const sector0 = disk.read(0, sectorSize)
  if (sector0.length < 512) throw new CorruptImageError(`partition table: image of ${disk.size} bytes is shorter than one sector`, 0)
  if (sector0[510] !== 0x55 || sector0[511] !== 0xaa) throw new CorruptImageError('partition table: no 0x55AA signature in sector 0', 510)
  const diskSectors = Math.floor(disk.size / sectorSize)
  const found: Array<Omit<Partition, 'index'>> = []
  const meta: PartitionMeta[] = [{startSector: 0, sectorCount: 1, description: 'Primary Table (#0)'}]
  const warnings: string[] = []

  const add = (table: number, entry: number, e: MbrEntry, start: number, logical: boolean) => {
    if (e.count === 0) {
      warnings.push(`table ${table} entry ${entry}: type 0x${e.type.toString(16)} with no sectors, ignored`)
      return
    }
    if (start + e.count > diskSectors) {
      warnings.push(`partition ${String(table).padStart(3, '0')}:${String(entry).padStart(3, '0')} ends at sector ${start + e.count - 1}, beyond the image's last sector ${diskSectors - 1}`)
    }
    found.push({
      scheme: 'mbr',
      slot: `${String(table).padStart(3, '0')}:${String(entry).padStart(3, '0')}`,
      sectorSize,
      startSector: start,
      sectorCount: e.count,
      offset: start * sectorSize,
      size: e.count * sectorSize,
      type: `0x${e.type.toString(16).padStart(2, '0')}`,
      description: mbrTypeDescription(e.type),
      bootable: e.bootFlag === 0x80,
      logical,
    })
  }

  // Extended boot records still to read: [EBR sector, extended partition base].
  const pending: Array<{sector: number; base: number}> = []
  parseEntries(sector0).forEach((e, i) => {
    if (e.type === 0) return
    if (EXTENDED_TYPES.has(e.type)) {
      meta.push({startSector: e.start, sectorCount: e.count, description: mbrTypeDescription(e.type)})
      pending.push({sector: e.start, base: e.start})
    } else {
      add(0, i, e, e.start, false)
    }
  })

  const visited = new Set<number>([0])
  let table = 0
  while (pending.length > 0) {
    const {sector, base} = pending.shift()!
    if (visited.has(sector)) {
      throw new CorruptImageError(`partition table: extended partition chain loops back to sector ${sector}`, sector * sectorSize)
    }
    visited.add(sector)
    if (++table > MAX_EXTENDED_TABLES) {
      throw new CorruptImageError(`partition table: more than ${MAX_EXTENDED_TABLES} extended partition tables`, sector * sectorSize)
    }
    const ebr = disk.read(sector * sectorSize, sectorSize)
    if (ebr.length < 512) {
      warnings.push(`extended partition table at sector ${sector} is beyond the end of the image`)
      continue
    }
    if (ebr[510] !== 0x55 || ebr[511] !== 0xaa) {
      warnings.push(`extended partition table at sector ${sector} has no 0x55AA signature; chain ends there`)
      continue
    }
    meta.push({startSector: sector, sectorCount: 1, description: `Extended Table (#${table})`})
    parseEntries(ebr).forEach((e, i) => {
      if (e.type === 0) return
      if (EXTENDED_TYPES.has(e.type)) {
        // Links to the next EBR are relative to the start of the outermost extended partition.
        meta.push({startSector: base + e.start, sectorCount: e.count, description: mbrTypeDescription(e.type)})
        pending.push({sector: base + e.start, base})
      } else {
        add(table, i, e, sector + e.start, true)
      }
    })
  }

  const partitions = found
    .map((p, order) => ({p, order}))
    .sort((a, b) => a.p.startSector - b.p.startSector || a.order - b.order)
    .map(({p}, i) => ({...p, index: i + 1}))
  meta.sort((a, b) => a.startSector - b.startSector)
  return {scheme: 'mbr', sectorSize, partitions, meta, warnings}
}
