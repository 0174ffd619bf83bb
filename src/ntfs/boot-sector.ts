import {CorruptImageError} from '../errors.js'

/** The OEM id at byte 3 of an NTFS volume header ("NTFS" and four spaces). */
const NTFS_SIGNATURE = Buffer.from('NTFS    ', 'latin1')

/**
 * The NTFS volume header (boot sector), libfsntfs "The volume header":
 * geometry (bytes per sector, sectors per cluster), where the $MFT starts and
 * how large MFT entries and index records are.
 */
export interface NtfsBootSector {
  bytesPerSector: number
  clusterSize: number
  totalSectors: number
  /** Bytes covered by the volume (total sectors x bytes per sector). */
  volumeSize: number
  /** Number of clusters in the volume. */
  clusterCount: number
  mftLcn: number
  mftMirrorLcn: number
  mftRecordSize: number
  indexRecordSize: number
  /** The 64-bit volume serial number as 16 upper-case hex digits. */
  serial: string
}

/** True if these first bytes of a volume carry the NTFS OEM id. */
export function isNtfsBootSector(head: Buffer): boolean {
  return head.length >= 11 && head.subarray(3, 11).equals(NTFS_SIGNATURE)
}

/**
 * MFT entry and index record sizes (boot sector offsets 64 and 68): 0..127 count
 * clusters, 128..255 are a negative power of two in bytes (-10 => 1024 bytes).
 */
function recordSize(value: number, clusterSize: number): number {
  if (value === 0) return 0
  if (value < 128) return value * clusterSize
  const exponent = 256 - value
  return exponent > 31 ? 0 : 2 ** exponent
}

export function parseBootSector(head: Buffer): NtfsBootSector {
  if (head.length < 512) throw new CorruptImageError(`NTFS volume header is truncated (${head.length} bytes)`, 0)
  if (!isNtfsBootSector(head)) throw new CorruptImageError('not an NTFS volume: no "NTFS    " OEM id in the boot sector', 3)
  const bytesPerSector = head.readUInt16LE(11)
  if (![256, 512, 1024, 2048, 4096].includes(bytesPerSector)) {
    throw new CorruptImageError(`NTFS boot sector: unsupported bytes per sector ${bytesPerSector}`, 11)
  }
  // Sectors per cluster: 1..128 literally; 244..255 (mkntfs, clusters over 64 KiB) mean 2^(256-n).
  const spcRaw = head.readUInt8(13)
  let sectorsPerCluster: number
  if (spcRaw >= 1 && spcRaw <= 128) sectorsPerCluster = spcRaw
  else if (spcRaw >= 244) sectorsPerCluster = 2 ** (256 - spcRaw)
  else throw new CorruptImageError(`NTFS boot sector: invalid sectors per cluster value ${spcRaw}`, 13)
  const clusterSize = bytesPerSector * sectorsPerCluster
  if ((clusterSize & (clusterSize - 1)) !== 0 || clusterSize > 2 * 1024 * 1024) {
    throw new CorruptImageError(`NTFS boot sector: invalid cluster size ${clusterSize}`, 13)
  }
  const totalSectors = Number(head.readBigUInt64LE(40))
  const mftLcn = Number(head.readBigUInt64LE(48))
  const mftMirrorLcn = Number(head.readBigUInt64LE(56))
  const mftRecordSize = recordSize(head.readUInt8(64), clusterSize)
  const indexRecordSize = recordSize(head.readUInt8(68), clusterSize)
  if (mftRecordSize < 256 || mftRecordSize > 65536 || (mftRecordSize & (mftRecordSize - 1)) !== 0) {
    throw new CorruptImageError(`NTFS boot sector: invalid MFT entry size ${mftRecordSize}`, 64)
  }
  const volumeSize = totalSectors * bytesPerSector
  if (!Number.isSafeInteger(volumeSize) || totalSectors === 0) {
    throw new CorruptImageError(`NTFS boot sector: invalid total sector count ${totalSectors}`, 40)
  }
  const clusterCount = Math.floor(volumeSize / clusterSize)
  if (!Number.isSafeInteger(mftLcn) || mftLcn >= clusterCount || mftLcn === 0) {
    throw new CorruptImageError(`NTFS boot sector: $MFT cluster ${mftLcn} is outside the volume`, 48)
  }
  const serial = head.readBigUInt64LE(72).toString(16).toUpperCase().padStart(16, '0')
  return {
    bytesPerSector,
    clusterSize,
    totalSectors,
    volumeSize,
    clusterCount,
    mftLcn,
    mftMirrorLcn,
    mftRecordSize,
    indexRecordSize,
    serial,
  }
}
