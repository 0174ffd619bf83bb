import {CorruptImageError} from '../errors.js'

/**
 * Where a file's blocks are: a list of runs of logical blocks, each mapped to
 * physical blocks or a hole (sparse, or an uninitialized extent that reads as zeros).
 * Built from an extent tree (ext4) or from the direct/indirect block map (ext2/3).
 */

export interface BlockRun {
  logical: number
  length: number
  /** null: a hole (reads as zeros). */
  physical: number | null
}

export interface BlockMapContext {
  /** Whose map this is, for error messages: "ext inode 12". */
  where: string
  blockSize: number
  blockCount: number
  /** Logical blocks the file's size covers: the map is not read past them. */
  neededBlocks: number
  readBlock(block: number): Buffer
}

const EXTENT_MAGIC = 0xf30a
/** The kernel caps extent trees at depth 5 (ext4_extents.h EXT4_MAX_EXTENT_DEPTH). */
const MAX_EXTENT_DEPTH = 5
/** ee_len above this marks an uninitialized (preallocated) extent of ee_len - 32768 blocks. */
const INIT_MAX_LENGTH = 32768

function checkPhysical(ctx: BlockMapContext, block: number, length: number, what: string): void {
  if (block < 1 || block + length > ctx.blockCount) {
    throw new CorruptImageError(`${ctx.where}: ${what} names blocks ${block}..${block + length - 1}, outside the volume's ${ctx.blockCount} blocks`)
  }
}

/**
 * Runs of an extent tree whose root is the inode's 60-byte i_block (extents.rst,
 * "Extent Tree"). An index block met twice is a loop: CorruptImageError.
 */
export function extentRuns(root: Buffer, ctx: BlockMapContext): BlockRun[] {
  const runs: BlockRun[] = []
  const visited = new Set<number>()
  const walk = (node: Buffer, expectedDepth: number | undefined, from: string): void => {
    if (node.length < 12 || node.readUInt16LE(0) !== EXTENT_MAGIC) throw new CorruptImageError(`${ctx.where}: extent node (${from}) has no 0xF30A magic`)
    const entries = node.readUInt16LE(2)
    const max = node.readUInt16LE(4)
    const depth = node.readUInt16LE(6)
    if (entries > max || 12 + entries * 12 > node.length) throw new CorruptImageError(`${ctx.where}: extent node (${from}) claims ${entries} entries, room for ${Math.floor((node.length - 12) / 12)}`)
    if (depth > MAX_EXTENT_DEPTH || (expectedDepth !== undefined && depth !== expectedDepth)) {
      throw new CorruptImageError(`${ctx.where}: extent node (${from}) has depth ${depth}${expectedDepth === undefined ? '' : `, its parent expects ${expectedDepth}`}`)
    }
    for (let i = 0; i < entries; i++) {
      const p = 12 + i * 12
      const logical = node.readUInt32LE(p)
      if (logical >= ctx.neededBlocks) break // beyond the file's size (entries are in logical order)
      if (depth === 0) {
        let length = node.readUInt16LE(p + 4)
        const uninitialized = length > INIT_MAX_LENGTH
        if (uninitialized) length -= INIT_MAX_LENGTH
        const physical = node.readUInt16LE(p + 6) * 2 ** 32 + node.readUInt32LE(p + 8)
        if (length === 0) continue
        checkPhysical(ctx, physical, length, `extent at logical block ${logical}`)
        runs.push({logical, length, physical: uninitialized ? null : physical})
      } else {
        const child = node.readUInt16LE(p + 8) * 2 ** 32 + node.readUInt32LE(p + 4)
        checkPhysical(ctx, child, 1, `extent index at logical block ${logical}`)
        if (visited.has(child)) throw new CorruptImageError(`${ctx.where}: extent tree loop: index block ${child} is reached twice`)
        visited.add(child)
        walk(ctx.readBlock(child), depth - 1, `block ${child}`)
      }
    }
  }
  walk(root, undefined, 'i_block')
  return normalise(runs, ctx)
}

/**
 * Runs of the ext2/3 block map: 12 direct pointers, then a single, double and triple
 * indirect block (blockmap.rst). A 0 pointer is a hole.
 */
export function indirectRuns(blockField: Buffer, ctx: BlockMapContext): BlockRun[] {
  const runs: BlockRun[] = []
  const perBlock = ctx.blockSize / 4
  let logical = 0
  const add = (physical: number) => {
    if (physical !== 0) checkPhysical(ctx, physical, 1, `block pointer for logical block ${logical}`)
    const last = runs[runs.length - 1]
    const mapped = physical === 0 ? null : physical
    if (last && ((last.physical === null && mapped === null) || (last.physical !== null && mapped === last.physical + last.length))) last.length++
    else runs.push({logical, length: 1, physical: mapped})
    logical++
  }
  const skip = (count: number) => {
    const n = Math.min(count, ctx.neededBlocks - logical)
    if (n <= 0) return
    const last = runs[runs.length - 1]
    if (last && last.physical === null) last.length += n
    else runs.push({logical, length: n, physical: null})
    logical += n
  }
  for (let i = 0; i < 12 && logical < ctx.neededBlocks; i++) add(blockField.readUInt32LE(i * 4))
  const indirect = (block: number, level: number): void => {
    const span = perBlock ** level
    if (logical >= ctx.neededBlocks) return
    if (block === 0) return skip(span)
    checkPhysical(ctx, block, 1, `level-${level} indirect block`)
    const pointers = ctx.readBlock(block)
    for (let i = 0; i < perBlock && logical < ctx.neededBlocks; i++) {
      const pointer = pointers.readUInt32LE(i * 4)
      if (level === 1) add(pointer)
      else indirect(pointer, level - 1)
    }
  }
  for (let level = 1; level <= 3; level++) indirect(blockField.readUInt32LE((11 + level) * 4), level)
  if (logical < ctx.neededBlocks && ctx.neededBlocks - logical > 0) {
    // the triple indirect block maps 2^32 blocks and more; a size beyond it is damage
    if (logical >= 12 + perBlock + perBlock ** 2 + perBlock ** 3) throw new CorruptImageError(`${ctx.where}: size needs more blocks than a block map can hold`)
  }
  return normalise(runs, ctx)
}

/** Runs sorted by logical block, checked for overlap, holes made explicit up to `neededBlocks`. */
function normalise(runs: BlockRun[], ctx: BlockMapContext): BlockRun[] {
  runs.sort((a, b) => a.logical - b.logical)
  const out: BlockRun[] = []
  let next = 0
  for (const run of runs) {
    if (run.logical < next) throw new CorruptImageError(`${ctx.where}: block runs overlap at logical block ${run.logical}`)
    if (run.logical > next) out.push({logical: next, length: run.logical - next, physical: null})
    const length = Math.min(run.length, ctx.neededBlocks - run.logical)
    if (length <= 0) break
    out.push({...run, length})
    next = run.logical + length
  }
  if (next < ctx.neededBlocks) out.push({logical: next, length: ctx.neededBlocks - next, physical: null})
  return out
}

/** True if any block of the file is stored (not a hole). */
export function hasMappedBlocks(runs: BlockRun[]): boolean {
  return runs.some((r) => r.physical !== null)
}
