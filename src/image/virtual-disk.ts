import type {ByteSource} from './byte-source.js'

/**
 * What QCOW2 and VMDK images have in common as byte sources: a virtual disk made of
 * allocation units (clusters, grains) that are stored in the image, read as zeros,
 * or read from a parent image (a backing file, a snapshot's parent), which may have a
 * parent of its own. `image info` shows the chain, top image first.
 */

/** A byte source that can also read into a caller's buffer (every layer of a chain does). */
export interface LayerSource extends ByteSource {
  /** Reads up to `length` bytes at `offset` into `target` at `targetOffset`; returns the count (fewer only at the end). */
  readInto(offset: number, target: Uint8Array, targetOffset?: number, length?: number): number
}

/** One image of a chain, as `image info` shows it. */
export interface VirtualDiskLayer {
  path: string
  /** 'qcow2', 'vmdk', 'raw', ... */
  format: string
  /** Version and variant in the format's own words: 'QCOW2 v3', 'monolithicSparse'. */
  variant?: string
  /** Virtual size in bytes. */
  size: number
  /** Allocation unit in bytes: qcow2 cluster, VMDK grain. */
  unitSize?: number
  /** Features the header declares ('extended L2 entries', 'dirty', ...). */
  features?: string[]
  /** The parent named in this image as written there, and how trawl found it. */
  parentAsWritten?: string
  /** VMDK: its extents; every file of them is read. */
  extents?: Array<{type: string; path?: string; sectors: number; offsetSectors?: number}>
  /** qcow2: internal snapshots (not read as volumes; listed for the examiner). */
  snapshots?: QcowSnapshotInfo[]
}

export interface QcowSnapshotInfo {
  id: string
  name: string
  /** When the snapshot was taken, UTC, to the nanosecond the image stores. */
  date: string
  /** Guest run time at the snapshot, nanoseconds. */
  guestRunTimeNs: number
  /** Saved VM state (RAM), bytes; 0 for a disk-only snapshot. */
  vmStateSize: number
  /** Virtual disk size of the snapshot (qcow2 v3 extra data), when stored. */
  diskSize?: number
}

export interface VirtualDiskInfo {
  /** Top image first, then its parent, its parent's parent... */
  chain: VirtualDiskLayer[]
}

/** Opens the parent of an image (by content, or as `format` says): the caller's chain is the loop guard. */
export type ParentOpener = (path: string, format: string | undefined, chain: readonly string[]) => ParentImage

export interface ParentImage {
  source: LayerSource
  /** The parent's own layers (itself first). */
  chain: VirtualDiskLayer[]
  /** Every file read for it. */
  files: string[]
}

/** `readInto` over any byte source: the source's own when it has one, else read and copy. */
export function asLayerSource(source: ByteSource): LayerSource {
  const own = (source as Partial<LayerSource>).readInto
  if (typeof own === 'function') return source as LayerSource
  return {
    get size() {
      return source.size
    },
    read: (offset, length) => source.read(offset, length),
    readInto(offset, target, targetOffset = 0, length = target.length - targetOffset) {
      const bytes = source.read(offset, length)
      target.set(bytes, targetOffset)
      return bytes.length
    },
    close: () => source.close(),
  }
}

/** Reads `length` bytes of `parent` at `offset` into `target`, zeros past its end (a parent smaller than the child). */
export function readParentInto(parent: LayerSource | undefined, offset: number, target: Uint8Array, at: number, length: number): void {
  let done = 0
  if (parent && offset < parent.size) done = parent.readInto(offset, target, at, Math.min(length, parent.size - offset))
  if (done < length) target.fill(0, at + done, at + length)
}

/** The lines `image info` prints for a virtual disk: each image of the chain, its geometry and snapshots. */
export function formatVirtualDisk(info: VirtualDiskInfo): string[] {
  const lines: string[] = []
  const [top, ...parents] = info.chain
  const unit = (layer: VirtualDiskLayer) => (layer.unitSize ? `; ${layer.format === 'vmdk' ? 'grain' : 'cluster'} ${layer.unitSize} bytes` : '')
  const describe = (layer: VirtualDiskLayer) =>
    `${layer.variant ?? layer.format}, virtual size ${layer.size} bytes${unit(layer)}${layer.features?.length ? `; features: ${layer.features.join(', ')}` : ''}`
  lines.push(`Virtual disk: ${describe(top)}`)
  const extents = (layer: VirtualDiskLayer, indent: string) => {
    for (const e of layer.extents ?? []) lines.push(`${indent}extent ${e.type} ${e.sectors} sectors${e.path ? ` in ${e.path}` : ''}${e.offsetSectors ? ` from sector ${e.offsetSectors}` : ''}`)
  }
  extents(top, '  ')
  if (parents.length > 0) {
    lines.push(`Backing chain (${parents.length} ${parents.length === 1 ? 'parent' : 'parents'}; unallocated ${top.format === 'vmdk' ? 'grains' : 'clusters'} read from them)`)
    let child = top
    for (const [i, layer] of parents.entries()) {
      lines.push(`  ${i + 1}. ${layer.path}: ${describe(layer)}${child.parentAsWritten !== undefined ? ` (named "${child.parentAsWritten}")` : ''}`)
      extents(layer, '     ')
      child = layer
    }
  }
  for (const layer of info.chain) {
    if (!layer.snapshots?.length) continue
    lines.push(`Internal snapshots${layer === top ? '' : ` of ${layer.path}`} (${layer.snapshots.length}; the current state is what is read)`)
    for (const s of layer.snapshots) {
      const size = s.diskSize !== undefined ? `, disk ${s.diskSize} bytes` : ''
      lines.push(`  ${s.id} "${s.name}" taken ${s.date}${size}${s.vmStateSize ? `, VM state ${s.vmStateSize} bytes` : ''}`)
    }
  }
  return lines
}
