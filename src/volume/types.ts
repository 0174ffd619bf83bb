/** A partition found in a partition table, numbered as examiners see it in mmls. */
export interface Partition {
  scheme: 'mbr' | 'gpt'
  /** 1-based, in the order mmls lists allocated partitions (by start sector): 'p1', 'p2', ... */
  index: number
  /** mmls slot: 'table:entry' for MBR ('000:000', '001:000'), the entry number for GPT ('000'). */
  slot: string
  sectorSize: number
  startSector: number
  sectorCount: number
  /** Byte offset and size in the image. */
  offset: number
  size: number
  /** As the table states it: '0x07' (MBR type byte) or the GPT type GUID. */
  type: string
  /** In words: 'NTFS / exFAT (0x07)', 'Basic data partition'. */
  description: string
  /** MBR: the entry's boot flag. */
  bootable?: boolean
  /** MBR: partition inside an extended partition. */
  logical?: boolean
  /** GPT: the partition's name and unique GUID. */
  name?: string
  guid?: string
}

/** A region of the disk the partition scheme itself uses (tables, extended containers), as mmls lists it as Meta. */
export interface PartitionMeta {
  startSector: number
  sectorCount: number
  description: string
}

export interface VolumeSystem {
  /** 'mbr', 'gpt', or 'none' when the image is one bare volume. */
  scheme: 'mbr' | 'gpt' | 'none'
  sectorSize: number
  partitions: Partition[]
  meta: PartitionMeta[]
  /** GPT disk GUID. */
  diskGuid?: string
  /** Problems that did not stop reading (backup GPT header used, partition beyond the image end). */
  warnings: string[]
}
