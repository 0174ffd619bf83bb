import type {ByteSource} from './byte-source.js'
import type {VirtualDiskDescription} from './parent-image.js'

/**
 * What QCOW2 and VMDK images have in common as byte sources: a virtual disk made of
 * allocation units (clusters, grains) that are stored in the image, read as zeros, or
 * read from a parent image (a backing file, a snapshot's parent), which may have a
 * parent of its own.
 */

/** A byte source that can also read into a caller's buffer (every layer of a chain does). */
export interface LayerSource extends ByteSource {
  /** Reads up to `length` bytes at `offset` into `target` at `targetOffset`; returns the count (fewer only at the end). */
  readInto(offset: number, target: Uint8Array, targetOffset?: number, length?: number): number
}

/**
 * Opens the parent `recorded` of the disk `child`: `format` as the child states it, `chain`
 * the real paths of the disks above the parent (the child included), the loop guard.
 */
export type ParentOpener = (child: string, recorded: {how: string; path: string}, format: string | undefined, chain: readonly string[]) => ParentImage

export interface ParentImage {
  source: LayerSource
  /** 'raw', 'qcow2', 'vmdk', 'vhd', 'vhdx'. */
  format: string
  /** The parent's own description (absent for a raw file): its type, geometry, its own parents. */
  description?: VirtualDiskDescription
  /** Every file read for it. */
  files: string[]
  warnings: string[]
  /** How it was found (as recorded, or by name beside the child). */
  foundBy: string
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

/** The parents list of a disk's description: its parent, then the parent's own parents. */
export function parentsOf(parent: ParentImage | undefined): NonNullable<VirtualDiskDescription['parents']> {
  if (!parent) return []
  const d = parent.description
  return [
    {
      path: parent.files[0],
      format: parent.format,
      diskType: d?.diskType ?? parent.format,
      ...(d?.identifier !== undefined ? {identifier: d.identifier} : {}),
      ...(d?.blockSize !== undefined ? {blockSize: d.blockSize} : {}),
      foundBy: parent.foundBy,
    },
    ...(d?.parents ?? []),
  ]
}
