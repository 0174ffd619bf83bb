import {openImageSource} from '../source/image.js'
import type {DeviceDescription, EvidenceVolume} from '../source/types.js'
import type {EwfAcquisitionError, EwfMedia} from './ewf.js'
import type {VirtualDiskDescription} from './parent-image.js'

/**
 * `trawl image info`: what an image is (format, segments, media size, EWF case
 * metadata and stored hashes) and what it holds (partitions with their file
 * systems), as one engine result the CLI only renders.
 */

export interface PartitionInfo {
  /** Volume id used by collect and --partition: 'p1', 'p2', ..., or 'vol' for a bare volume. */
  id: string
  scheme: string
  index?: number
  /** mmls slot ('000:000'). */
  slot?: string
  startSector?: number
  sectorCount?: number
  offset: number
  size: number
  type?: string
  description?: string
  name?: string
  fileSystem: string
  label?: string
  serial?: string
  /** True when trawl reads the file system. */
  readable: boolean
  /** How the file system was read, where it matters (journal not replayed, local times). */
  notes?: string[]
  unreadable?: string
  /** NTFS: the volume's shadow copies, oldest first ([] when it has none). */
  shadowCopies?: SnapshotInfo[]
  /** NTFS: why its shadow copies could not be listed. */
  shadowCopiesUnreadable?: string
}

/** One Volume Shadow Copy of a volume, as vshadowinfo describes it, with what trawl reads of it. */
export interface SnapshotInfo {
  /** Volume id for collect and records: 'p2@vss1'; `--snapshot 1` with `--partition 2`. */
  id: string
  number: number
  /** UTC, 100 ns precision. */
  createdAt: string | null
  storeId: string
  shadowCopyId?: string
  shadowCopySetId?: string
  volumeSize: number
  attributeFlags?: number
  fileSystem: string
  readable: boolean
  unreadable?: string
}

export interface ImageInfo {
  path: string
  format: string
  segments: string[]
  size: number
  /** A disk or volume read in place: its kind, sector size and how its size was found. */
  device?: DeviceDescription
  storedHashes?: {md5?: string; sha1?: string}
  metadata?: Record<string, string>
  ewf?: EwfMedia & {chunkSize: number}
  /** VHD, VHDX: disk type, identifier, block and sector sizes, and a differencing disk's parent chain. */
  virtualDisk?: VirtualDiskDescription
  /** EWF: sector ranges the acquiring tool could not read (zero-filled in the image). */
  acquisitionErrors?: EwfAcquisitionError[]
  scheme: 'mbr' | 'gpt' | 'none'
  sectorSize: number
  diskGuid?: string
  partitions: PartitionInfo[]
  /** Regions the partition scheme itself uses, as mmls lists them as Meta. */
  meta: Array<{startSector: number; sectorCount: number; description: string}>
  warnings: string[]
}

export async function imageInfo(path: string): Promise<ImageInfo> {
  const source = openImageSource(path, {snapshots: 'all'})
  try {
    const {description, volumeSystem, image} = source
    const partitions: PartitionInfo[] = source.volumes.filter((volume) => !volume.description.snapshot).map((volume) => {
      const d = volume.description
      const partition = volumeSystem.partitions.find((p) => p.index === d.index)
      return {
        id: volume.id,
        scheme: d.scheme,
        ...(partition
          ? {
              index: partition.index,
              slot: partition.slot,
              startSector: partition.startSector,
              sectorCount: partition.sectorCount,
              type: partition.type,
              description: partition.description,
              ...(partition.name ? {name: partition.name} : {}),
            }
          : {}),
        offset: d.offset ?? 0,
        size: d.size ?? 0,
        fileSystem: d.fileSystem ?? 'unknown',
        ...(d.label ? {label: d.label} : {}),
        ...(d.serial ? {serial: d.serial} : {}),
        readable: volume.fs !== undefined,
        ...(d.notes ? {notes: d.notes} : {}),
        ...(volume.unreadable ? {unreadable: volume.unreadable} : {}),
        ...(d.fileSystem === 'ntfs' && volume.fs ? {shadowCopies: snapshotsOf(volume, source.volumes)} : {}),
        ...(d.shadowCopiesUnreadable ? {shadowCopiesUnreadable: d.shadowCopiesUnreadable} : {}),
      }
    })
    return {
      path: description.path,
      format: description.format ?? 'raw',
      segments: description.segments ?? [description.path],
      size: description.size ?? image.source.size,
      ...(description.device ? {device: description.device} : {}),
      ...(description.storedHashes ? {storedHashes: description.storedHashes} : {}),
      ...(description.virtualDisk ? {virtualDisk: description.virtualDisk} : {}),
      ...(image.ewf
        ? {metadata: {...image.ewf.metadata}, ewf: {...image.ewf.media, chunkSize: image.ewf.chunkSize}, acquisitionErrors: image.ewf.acquisitionErrors}
        : {}),
      scheme: volumeSystem.scheme,
      sectorSize: volumeSystem.sectorSize,
      ...(volumeSystem.diskGuid ? {diskGuid: volumeSystem.diskGuid} : {}),
      partitions,
      meta: volumeSystem.meta,
      warnings: source.warnings,
    }
  } finally {
    await source.close()
  }
}

function snapshotsOf(live: EvidenceVolume, volumes: EvidenceVolume[]): SnapshotInfo[] {
  return (live.description.shadowCopies ?? []).map((copy) => {
    const volume = volumes.find((v) => v.description.snapshot?.of === live.id && v.description.snapshot.number === copy.number)
    return {
      id: `${live.id}@vss${copy.number}`,
      number: copy.number,
      createdAt: copy.createdAt,
      storeId: copy.storeId,
      ...(copy.shadowCopyId ? {shadowCopyId: copy.shadowCopyId} : {}),
      ...(copy.shadowCopySetId ? {shadowCopySetId: copy.shadowCopySetId} : {}),
      volumeSize: copy.volumeSize,
      ...(copy.attributeFlags !== undefined ? {attributeFlags: copy.attributeFlags} : {}),
      fileSystem: volume?.description.fileSystem ?? 'unknown',
      readable: volume?.fs !== undefined,
      ...(volume?.unreadable ? {unreadable: volume.unreadable} : {}),
    }
  })
}

const METADATA_LABELS: Array<[string, string]> = [
  ['caseNumber', 'Case number'],
  ['evidenceNumber', 'Evidence number'],
  ['examiner', 'Examiner'],
  ['description', 'Description'],
  ['notes', 'Notes'],
  ['acquisitionDate', 'Acquisition date'],
  ['systemDate', 'System date'],
  ['acquisitionOs', 'Acquisition OS'],
  ['acquisitionSoftwareVersion', 'Acquisition software version'],
  ['model', 'Model'],
  ['serialNumber', 'Serial number'],
  ['deviceLabel', 'Device label'],
]

const DEVICE_KINDS: Record<DeviceDescription['kind'], string> = {volume: 'Windows volume', disk: 'Windows disk', 'block-device': 'block device'}
const SIZE_METHODS: Record<DeviceDescription['sizeFrom'], string> = {
  sysfs: 'from sysfs',
  'ntfs-boot-sector': 'from the NTFS boot sector (total sectors and the backup boot sector)',
  probe: 'found by probing for the last readable sector',
}

/** The text rendering of `trawl image info`. */
export function formatImageInfo(info: ImageInfo): string {
  const lines: string[] = []
  lines.push(`Image:        ${info.path}`)
  lines.push(`Format:       ${info.format}${info.segments.length > 1 ? ` (${info.segments.length} segments)` : ''}`)
  if (info.segments.length > 1) for (const s of info.segments) lines.push(`  ${s}`)
  lines.push(`Media size:   ${info.size} bytes`)
  if (info.device) lines.push(`Device:       ${DEVICE_KINDS[info.device.kind]}, read in ${info.device.sectorSize}-byte sectors; size ${SIZE_METHODS[info.device.sizeFrom]}`)
  if (info.ewf) {
    lines.push(`Sectors:      ${info.ewf.sectorCount} of ${info.ewf.bytesPerSector} bytes; chunk ${info.ewf.chunkSize} bytes`)
  }
  if (info.virtualDisk) lines.push(...formatVirtualDisk(info.virtualDisk, info.format))
  if (info.metadata && Object.keys(info.metadata).length > 0) {
    lines.push('', 'Acquisition (EWF header)')
    const known = new Set(METADATA_LABELS.map(([k]) => k))
    for (const [key, label] of METADATA_LABELS) if (info.metadata[key]) lines.push(`  ${label}: ${info.metadata[key]}`)
    for (const [key, value] of Object.entries(info.metadata)) if (!known.has(key) && key !== 'passwordHash') lines.push(`  ${key}: ${value}`)
  }
  if (info.acquisitionErrors && info.acquisitionErrors.length > 0) {
    lines.push('', `Read errors during acquisition (${info.acquisitionErrors.length}; zero-filled in the image)`)
    for (const e of info.acquisitionErrors) lines.push(`  sectors ${e.startSector}-${e.startSector + e.sectorCount - 1} (${e.sectorCount})`)
  }
  if (info.storedHashes) {
    lines.push('', 'Stored hashes')
    if (info.storedHashes.md5) lines.push(`  MD5:  ${info.storedHashes.md5}`)
    if (info.storedHashes.sha1) lines.push(`  SHA1: ${info.storedHashes.sha1}`)
  }
  lines.push('', `Partitions (${info.scheme === 'none' ? 'none: one bare volume' : `${info.scheme.toUpperCase()}, ${info.sectorSize}-byte sectors`})`)
  for (const p of info.partitions) {
    const where =
      p.startSector !== undefined ? `sectors ${p.startSector}-${p.startSector + (p.sectorCount ?? 0) - 1} (offset ${p.offset}, ${p.size} bytes)` : `offset ${p.offset}, ${p.size} bytes`
    const type = p.description ? ` ${p.description}${p.name ? ` "${p.name}"` : ''}` : ''
    const fs = `${p.fileSystem}${p.label ? ` label "${p.label}"` : ''}${p.serial ? ` serial ${p.serial}` : ''}`
    lines.push(`  ${p.id}${p.slot ? ` [${p.slot}]` : ''}:${type} ${where}: ${fs}${p.readable ? '' : ` (${p.unreadable})`}`)
    for (const note of p.notes ?? []) lines.push(`    note: ${note}`)
    if (p.shadowCopiesUnreadable) lines.push(`    Shadow copies: cannot be read (${p.shadowCopiesUnreadable})`)
    else if (p.shadowCopies) lines.push(`    Shadow copies: ${p.shadowCopies.length === 0 ? 'none' : p.shadowCopies.length}`)
    for (const c of p.shadowCopies ?? []) {
      const ids = [`store ${c.storeId}`, ...(c.shadowCopyId ? [`shadow copy ${c.shadowCopyId}`] : []), ...(c.shadowCopySetId ? [`set ${c.shadowCopySetId}`] : [])].join(', ')
      lines.push(`      ${c.id}: created ${c.createdAt ?? '(no time)'}; ${ids}: ${c.readable ? c.fileSystem : `not read (${c.unreadable})`}`)
    }
  }
  if (info.warnings.length > 0) {
    lines.push('', 'Warnings')
    for (const w of info.warnings) lines.push(`  ${w}`)
  }
  return lines.join('\n')
}

/** What a disk format calls its allocation unit. */
const BLOCK_NAMES: Record<string, string> = {qcow2: 'clusters', vmdk: 'grains'}

/** The VHD/VHDX/QCOW2/VMDK lines of `image info`: what kind of disk, and for a differencing disk every file it is read through. */
function formatVirtualDisk(disk: VirtualDiskDescription, format: string): string[] {
  const unit = BLOCK_NAMES[format] ?? 'blocks'
  const sizes = [
    disk.blockSize ? `${disk.blockSize}-byte ${unit}` : undefined,
    disk.logicalSectorSize ? `${disk.logicalSectorSize}-byte sectors${disk.physicalSectorSize && disk.physicalSectorSize !== disk.logicalSectorSize ? ` (physical ${disk.physicalSectorSize})` : ''}` : undefined,
  ].filter((s) => s !== undefined)
  const lines = [`Virtual disk: ${disk.diskType}${sizes.length > 0 ? `, ${sizes.join(', ')}` : ''}${disk.identifier !== undefined ? `; id ${disk.identifier}` : ''}`]
  if (disk.features?.length) lines.push(`Features:     ${disk.features.join(', ')}`)
  if (disk.creator) lines.push(`Created by:   ${disk.creator}`)
  for (const e of disk.extents ?? []) lines.push(`  extent ${e.type} ${e.sectors} sectors${e.path ? ` in ${e.path}` : ''}${e.offsetSectors ? ` from sector ${e.offsetSectors}` : ''}`)
  if (disk.parents && disk.parents.length > 0) {
    const recorded = disk.parentAsRecorded !== undefined ? `; recorded as "${disk.parentAsRecorded}"` : ''
    lines.push(`Parent chain (${disk.parents.length}; read through in this order${recorded}):`)
    disk.parents.forEach((p, i) =>
      lines.push(`  ${i + 1}. ${p.path} (${p.format} ${p.diskType}${p.blockSize ? `, ${p.blockSize}-byte ${BLOCK_NAMES[p.format] ?? 'blocks'}` : ''}${p.identifier !== undefined ? `, id ${p.identifier}` : ''}; found by ${p.foundBy})`),
    )
  }
  if (disk.snapshots?.length) {
    lines.push(`Internal snapshots (${disk.snapshots.length}; the current state is what is read):`)
    for (const s of disk.snapshots) {
      lines.push(`  ${s.id} "${s.name}" taken ${s.date}${s.diskSize !== undefined ? `, disk ${s.diskSize} bytes` : ''}${s.vmStateSize ? `, VM state ${s.vmStateSize} bytes` : ''}`)
    }
  }
  return lines
}
