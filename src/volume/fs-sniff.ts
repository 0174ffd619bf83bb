import type {ByteSource} from '../image/byte-source.js'

/**
 * Names the file system at the start of a volume from its boot sector or
 * superblock, so a volume trawl does not read is named clearly ("ext2") rather
 * than guessed at. Also reads the label and serial number where they sit in the
 * boot sector or superblock itself.
 */

export type FileSystemName =
  | 'ntfs'
  | 'fat12'
  | 'fat16'
  | 'fat32'
  | 'exfat'
  | 'ext2'
  | 'ext3'
  | 'ext4'
  | 'hfs'
  | 'hfs+'
  | 'apfs'
  | 'btrfs'
  | 'xfs'
  | 'iso9660'
  | 'refs'
  | 'unknown'

export interface SniffedFileSystem {
  name: FileSystemName
  label?: string
  serial?: string
}

function ascii(buffer: Buffer, start: number, length: number): string {
  return buffer.toString('latin1', start, Math.min(buffer.length, start + length))
}

function trimLabel(text: string): string | undefined {
   
  const t = text.replace(/\x00+$/, '').trim()
  return t && t !== 'NO NAME' ? t : undefined
}

/** Boot sector of a FAT volume: a jump, a power-of-two sector size, sane BPB counts. */
export function fatKind(boot: Buffer): 'fat12' | 'fat16' | 'fat32' | undefined {
  if (boot.length < 512 || boot[510] !== 0x55 || boot[511] !== 0xaa) return undefined
  if (boot[0] !== 0xeb && boot[0] !== 0xe9) return undefined
  const bytesPerSector = boot.readUInt16LE(11)
  const sectorsPerCluster = boot[13]
  const reserved = boot.readUInt16LE(14)
  const fats = boot[16]
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) return undefined
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) return undefined
  if (reserved === 0 || fats === 0 || fats > 4) return undefined
  const rootEntries = boot.readUInt16LE(17)
  const total = boot.readUInt16LE(19) || boot.readUInt32LE(32)
  const fatSize = boot.readUInt16LE(22) || boot.readUInt32LE(36)
  if (total === 0 || fatSize === 0) return undefined
  // Microsoft FAT specification: the type follows from the count of data clusters.
  const rootSectors = Math.ceil((rootEntries * 32) / bytesPerSector)
  const clusters = Math.floor((total - reserved - fats * fatSize - rootSectors) / sectorsPerCluster)
  if (boot.readUInt16LE(22) === 0 || clusters >= 65525) return 'fat32'
  return clusters < 4085 ? 'fat12' : 'fat16'
}

export function sniffFileSystem(volume: ByteSource): SniffedFileSystem {
  const head = volume.read(0, 4096)
  if (head.length >= 512) {
    const oem = ascii(head, 3, 8)
    if (oem === 'NTFS    ') return {name: 'ntfs', serial: head.readBigUInt64LE(0x48).toString(16).toUpperCase().padStart(16, '0')}
    if (oem === 'EXFAT   ') return {name: 'exfat', serial: head.readUInt32LE(100).toString(16).toUpperCase().padStart(8, '0')}
    if (oem === 'ReFS\0\0\0\0') return {name: 'refs'}
    const fat = fatKind(head)
    if (fat) {
      const ebpb = fat === 'fat32' ? 64 : 36
      const serial = head[ebpb + 2] === 0x29 ? head.readUInt32LE(ebpb + 3).toString(16).toUpperCase().padStart(8, '0') : undefined
      const label = head[ebpb + 2] === 0x29 ? trimLabel(ascii(head, ebpb + 7, 11)) : undefined
      return {name: fat, ...(label ? {label} : {}), ...(serial ? {serial: `${serial.slice(0, 4)}-${serial.slice(4)}`} : {})}
    }
    if (ascii(head, 0, 4) === 'XFSB') return {name: 'xfs', ...labelOf(trimLabel(ascii(head, 108, 12)))}
    if (ascii(head, 32, 4) === 'NXSB') return {name: 'apfs'}
  }
  if (head.length >= 1024 + 512) {
    // ext2/3/4 superblock at 1024, magic 0xEF53 at 1024+56 (= 1080).
    if (head.readUInt16LE(1080) === 0xef53) {
      const compat = head.readUInt32LE(1024 + 92)
      const incompat = head.readUInt32LE(1024 + 96)
      const roCompat = head.readUInt32LE(1024 + 100)
      // ext4: extents, 64bit, flex_bg, huge_file, dir_nlink, extra_isize; ext3: has_journal.
      const name: FileSystemName = incompat & (0x40 | 0x80 | 0x200) || roCompat & (0x8 | 0x20 | 0x40) ? 'ext4' : compat & 0x4 ? 'ext3' : 'ext2'
      const uuid = head.subarray(1024 + 104, 1024 + 120).toString('hex')
      const serial = `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`
      return {name, serial, ...labelOf(trimLabel(ascii(head, 1024 + 120, 16)))}
    }
    const hfs = ascii(head, 1024, 2)
    if (hfs === 'H+' || hfs === 'HX') return {name: 'hfs+'}
    if (hfs === 'BD') return {name: 'hfs'}
  }
  const iso = volume.read(0x8001, 5)
  if (ascii(iso, 0, 5) === 'CD001') return {name: 'iso9660', ...labelOf(trimLabel(ascii(volume.read(0x8028, 32), 0, 32)))}
  const btrfs = volume.read(0x10040, 8)
  if (ascii(btrfs, 0, 8) === '_BHRfS_M') return {name: 'btrfs'}
  return {name: 'unknown'}
}

function labelOf(label: string | undefined): {label?: string} {
  return label ? {label} : {}
}

/** True if these 512 bytes are a volume boot sector (not a partition table). */
export function isVolumeBootSector(sector: Buffer): boolean {
  if (sector.length < 512) return false
  const oem = ascii(sector, 3, 8)
  return oem === 'NTFS    ' || oem === 'EXFAT   ' || fatKind(sector) !== undefined
}
