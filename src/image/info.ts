import {openImageSource} from '../source/image.js'
import type {DeviceDescription} from '../source/types.js'
import type {EwfAcquisitionError, EwfMedia} from './ewf.js'

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
  const source = openImageSource(path)
  try {
    const {description, volumeSystem, image} = source
    const partitions: PartitionInfo[] = source.volumes.map((volume) => {
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
      }
    })
    return {
      path: description.path,
      format: description.format ?? 'raw',
      segments: description.segments ?? [description.path],
      size: description.size ?? image.source.size,
      ...(description.device ? {device: description.device} : {}),
      ...(description.storedHashes ? {storedHashes: description.storedHashes} : {}),
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
  }
  if (info.warnings.length > 0) {
    lines.push('', 'Warnings')
    for (const w of info.warnings) lines.push(`  ${w}`)
  }
  return lines.join('\n')
}
