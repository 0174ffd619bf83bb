import {CorruptImageError} from '../errors.js'

/**
 * The FAT boot sector and BIOS parameter block (Microsoft "FAT: General Overview of
 * On-Disk Format" 1.03, sections 3.1-3.3; libfsfat "FAT file system format"). The FAT
 * type follows from the count of data clusters alone, as the specification requires.
 */

export interface FatBootSector {
  type: 'fat12' | 'fat16' | 'fat32'
  bytesPerSector: number
  sectorsPerCluster: number
  clusterSize: number
  reservedSectors: number
  fatCount: number
  rootEntryCount: number
  totalSectors: number
  fatSectors: number
  /** Byte offset of FAT n (0-based). */
  fatOffset(n: number): number
  /** Byte offset and size of the fixed root directory (FAT12/16); 0 for FAT32. */
  rootDirOffset: number
  rootDirSize: number
  /** FAT32: first cluster of the root directory. */
  rootCluster: number
  /** Byte offset of cluster 2. */
  dataOffset: number
  /** Data clusters: valid cluster numbers are 2 .. clusterCount + 1. */
  clusterCount: number
  /** FAT32 BPB_ExtFlags: the one FAT in use when mirroring is off, else undefined. */
  activeFat?: number
  serial?: string
  label?: string
}

function trimmed(buffer: Buffer, start: number, length: number): string | undefined {
  const text = buffer.toString('latin1', start, start + length).replace(/[\0 ]+$/, '')
  return text === '' || text === 'NO NAME' ? undefined : text
}

export function parseBootSector(boot: Buffer): FatBootSector {
  if (boot.length < 512) throw new CorruptImageError('FAT boot sector: the volume ends inside it', 0)
  if (boot[510] !== 0x55 || boot[511] !== 0xaa) throw new CorruptImageError('FAT boot sector: no 0x55AA signature', 510)
  const bytesPerSector = boot.readUInt16LE(11)
  const sectorsPerCluster = boot[13]
  const reservedSectors = boot.readUInt16LE(14)
  const fatCount = boot[16]
  const rootEntryCount = boot.readUInt16LE(17)
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32)
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36)
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) throw new CorruptImageError(`FAT BPB: ${bytesPerSector} bytes per sector`, 11)
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) throw new CorruptImageError(`FAT BPB: ${sectorsPerCluster} sectors per cluster`, 13)
  if (reservedSectors === 0) throw new CorruptImageError('FAT BPB: no reserved sectors', 14)
  if (fatCount === 0 || fatCount > 4) throw new CorruptImageError(`FAT BPB: ${fatCount} FATs`, 16)
  if (totalSectors === 0 || fatSectors === 0) throw new CorruptImageError(`FAT BPB: ${totalSectors} sectors, ${fatSectors} sectors per FAT`, 19)
  const rootDirSectors = Math.ceil((rootEntryCount * 32) / bytesPerSector)
  const firstData = reservedSectors + fatCount * fatSectors + rootDirSectors
  if (firstData >= totalSectors) throw new CorruptImageError(`FAT BPB: the data area would start at sector ${firstData} of ${totalSectors}`, 14)
  const clusterCount = Math.floor((totalSectors - firstData) / sectorsPerCluster)
  // the specification (section 3.5) decides by the count of clusters; a 16-bit FAT size of 0 is FAT32
  // whatever the count, as Linux and fs-sniff read it (mkfs.fat -F 32 makes small FAT32 volumes)
  const type = boot.readUInt16LE(22) === 0 ? 'fat32' : clusterCount < 4085 ? 'fat12' : clusterCount < 65525 ? 'fat16' : 'fat32'
  const fat32 = type === 'fat32'
  if (fat32 && boot.readUInt16LE(22) !== 0) throw new CorruptImageError(`FAT BPB: ${clusterCount} clusters need FAT32, the BPB has a 16-bit FAT size`, 22)
  if (!fat32 && rootEntryCount === 0) throw new CorruptImageError(`FAT BPB: ${type} with no root directory entries`, 17)
  const entryBits = type === 'fat12' ? 12 : type === 'fat16' ? 16 : 32
  if (Math.ceil(((clusterCount + 2) * entryBits) / 8) > fatSectors * bytesPerSector) {
    throw new CorruptImageError(`FAT BPB: ${fatSectors} sectors per FAT cannot map ${clusterCount} clusters`, 22)
  }
  const extFlags = fat32 ? boot.readUInt16LE(40) : 0
  const ebpb = fat32 ? 64 : 36
  const hasSerial = boot[ebpb + 2] === 0x29
  const serialHex = hasSerial ? boot.readUInt32LE(ebpb + 3).toString(16).toUpperCase().padStart(8, '0') : undefined
  const label = hasSerial ? trimmed(boot, ebpb + 7, 11) : undefined
  const rootCluster = fat32 ? boot.readUInt32LE(44) : 0
  if (fat32 && (rootCluster < 2 || rootCluster >= clusterCount + 2)) throw new CorruptImageError(`FAT32 BPB: root directory cluster ${rootCluster} is outside the data area`, 44)
  return {
    type,
    bytesPerSector,
    sectorsPerCluster,
    clusterSize: bytesPerSector * sectorsPerCluster,
    reservedSectors,
    fatCount,
    rootEntryCount,
    totalSectors,
    fatSectors,
    fatOffset: (n) => (reservedSectors + n * fatSectors) * bytesPerSector,
    rootDirOffset: fat32 ? 0 : (reservedSectors + fatCount * fatSectors) * bytesPerSector,
    rootDirSize: fat32 ? 0 : rootEntryCount * 32,
    rootCluster,
    dataOffset: firstData * bytesPerSector,
    clusterCount,
    ...(fat32 && extFlags & 0x80 ? {activeFat: extFlags & 0xf} : {}),
    ...(serialHex ? {serial: `${serialHex.slice(0, 4)}-${serialHex.slice(4)}`} : {}),
    ...(label ? {label} : {}),
  }
}
