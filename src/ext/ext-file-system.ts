import {Readable} from 'node:stream'
import {CorruptImageError, FileNotFoundError, TrawlError, UnsupportedFormatError} from '../errors.js'
import type {FileSystemDriver} from '../fs/drivers.js'
import type {FileEntry, FileKind, ListOptions, ReadOnlyFileSystem} from '../fs/types.js'
import type {ByteSource} from '../image/byte-source.js'
import {extentRuns, hasMappedBlocks, indirectRuns, type BlockRun} from './block-map.js'
import {FILE_TYPE, isHtreeNode, parseDirectoryBlock, type DirectoryName} from './directory.js'
import {INODE_FLAG, MODE_TYPE, inodeAttribute, parseInode, type ExtInode} from './inode.js'
import {COMPAT_HAS_JOURNAL, INCOMPAT, RO_COMPAT, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, groupHasSuperblock, isExtSuperblock, parseSuperblock, type ExtSuperblock} from './superblock.js'

const ROOT_INODE = 2
/** Extended attribute name index 7 is "system." (inline data: "system.data"). */
const XATTR_SYSTEM = 7
/** Group descriptor bg_flags: the inode table was never initialised (gdt_csum/metadata_csum). */
const BG_INODE_UNINIT = 0x1
/** Larger directories and symlink targets are damage. */
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024
const MAX_LINK_BYTES = 64 * 1024
const READ_CHUNK = 1024 * 1024
const MAX_PROBLEMS = 1000
const MAX_CACHED_NAMES = 256 * 1024
const MAX_DEPTH = 2048

interface GroupDescriptor {
  inodeBitmap: number
  inodeTable: number
  flags: number
}

interface Resolved {
  inode: number
  path: string
  /** The directory entry the last step went through; undefined for the root. */
  found?: DirectoryName
}

/**
 * A read-only ext2/3/4 volume read from its bytes: superblock, group descriptors
 * (32- or 64-bit, meta_bg), inodes, extent trees and block maps, linear and htree
 * directories, inline data. The journal is never replayed: a volume whose journal
 * still holds transactions (needs_recovery) is read as it stands on disk, and says so
 * in `notes`. Damaged structures are typed errors in `problems`; the rest reads.
 *
 * Listings follow `fls`: entries in directory order, '.' and '..' left out; with
 * `deleted`, names still whole in directory slack are listed marked deleted (with the
 * inode they name; 'reallocated' when that inode now belongs to a live file). The
 * Sleuth Kit's virtual $OrphanFiles directory is not made up.
 */
export class ExtFileSystem implements ReadOnlyFileSystem {
  readonly kind: string
  readonly superblock: ExtSuperblock
  readonly serial: string
  readonly label?: string
  /** What the examiner should know about how this volume was read (journal not replayed). */
  readonly notes: string[] = []
  readonly problems: TrawlError[] = []
  problemCount = 0

  private readonly groups: GroupDescriptor[]
  private readonly names = new Map<number, DirectoryName[]>()
  private cachedNames = 0
  private readonly bitmaps = new Map<number, Buffer>()

  constructor(private readonly volume: ByteSource) {
    const raw = volume.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)
    this.superblock = parseSuperblock(raw)
    const sb = this.superblock
    this.kind = sb.name
    this.serial = sb.uuid
    if (sb.label) this.label = sb.label
    if (sb.blockCount * sb.blockSize > volume.size) {
      this.addProblem(new CorruptImageError(`ext superblock: ${sb.blockCount} blocks of ${sb.blockSize} bytes, the volume holds ${volume.size} bytes (truncated image)`))
    }
    this.groups = this.readGroupDescriptors()
    if (sb.compat & COMPAT_HAS_JOURNAL) {
      this.notes.push(
        sb.incompat & INCOMPAT.recover
          ? `the journal (inode ${sb.journalInode}) holds transactions not yet written to the file system (needs_recovery): read as it stands on disk, the journal not replayed`
          : `journaled (inode ${sb.journalInode}), cleanly unmounted: the journal is not read`,
      )
    }
    if (sb.state & 2) this.notes.push('the superblock records errors found by the kernel (s_state: errors)')
  }

  // ---------------------------------------------------------------- layout

  private readGroupDescriptors(): GroupDescriptor[] {
    const sb = this.superblock
    const perBlock = sb.blockSize / sb.descriptorSize
    const metaBg = (sb.incompat & INCOMPAT.metaBg) !== 0
    const groups: GroupDescriptor[] = []
    let cachedBlock = -1
    let block: Buffer = Buffer.alloc(0)
    for (let g = 0; g < sb.groupCount; g++) {
      const metaGroup = Math.floor(g / perBlock)
      let where: number
      if (metaBg && metaGroup >= sb.firstMetaBg) {
        // meta_bg: each meta group's descriptors sit in the first block of its first group (after a superblock backup)
        const first = metaGroup * perBlock
        where = sb.firstDataBlock + first * sb.blocksPerGroup + (groupHasSuperblock(sb, first) ? 1 : 0)
      } else {
        where = sb.firstDataBlock + 1 + metaGroup
      }
      if (where !== cachedBlock) {
        block = this.readBlock(where)
        cachedBlock = where
        if (block.length < sb.blockSize) throw new CorruptImageError(`ext group descriptors: block ${where} is beyond the image`, where * sb.blockSize)
      }
      const p = (g % perBlock) * sb.descriptorSize
      const wide = sb.descriptorSize >= 64
      groups.push({
        inodeBitmap: block.readUInt32LE(p + 0x4) + (wide ? block.readUInt32LE(p + 0x24) * 2 ** 32 : 0),
        inodeTable: block.readUInt32LE(p + 0x8) + (wide ? block.readUInt32LE(p + 0x28) * 2 ** 32 : 0),
        flags: block.readUInt16LE(p + 0x12),
      })
    }
    return groups
  }

  private readBlock(block: number): Buffer {
    return this.volume.read(block * this.superblock.blockSize, this.superblock.blockSize)
  }

  private get checksummedGroups(): boolean {
    return (this.superblock.roCompat & (RO_COMPAT.gdtCsum | RO_COMPAT.metadataCsum)) !== 0
  }

  /** Byte offset of inode `number` in the volume; CorruptImageError if its table is out of the volume. */
  inodeOffset(number: number): number {
    const sb = this.superblock
    if (!Number.isSafeInteger(number) || number < 1 || number > sb.inodeCount) throw new CorruptImageError(`ext inode ${number} is outside the inode table (${sb.inodeCount} inodes)`)
    const group = Math.floor((number - 1) / sb.inodesPerGroup)
    const index = (number - 1) % sb.inodesPerGroup
    const descriptor = this.groups[group]
    const tableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize)
    if (descriptor.inodeTable < 1 || descriptor.inodeTable + tableBlocks > sb.blockCount) {
      throw new CorruptImageError(`ext group ${group}: inode table at block ${descriptor.inodeTable} is outside the volume`)
    }
    return descriptor.inodeTable * sb.blockSize + index * sb.inodeSize
  }

  /** The inode `number`; CorruptImageError if its table is out of the volume. */
  readInode(number: number): ExtInode {
    const sb = this.superblock
    const offset = this.inodeOffset(number)
    const descriptor = this.groups[Math.floor((number - 1) / sb.inodesPerGroup)]
    if (this.checksummedGroups && descriptor.flags & BG_INODE_UNINIT) return parseInode(Buffer.alloc(sb.inodeSize), number, offset)
    const raw = this.volume.read(offset, sb.inodeSize)
    if (raw.length < sb.inodeSize) throw new CorruptImageError(`ext inode ${number}: the image ends inside it`, offset)
    return parseInode(raw, number, offset)
  }

  /** True if the inode bitmap marks the inode in use. */
  inodeAllocated(number: number): boolean {
    const sb = this.superblock
    if (number < 1 || number > sb.inodeCount) return false
    const group = Math.floor((number - 1) / sb.inodesPerGroup)
    const descriptor = this.groups[group]
    if (this.checksummedGroups && descriptor.flags & BG_INODE_UNINIT) return false
    let bitmap = this.bitmaps.get(group)
    if (!bitmap) {
      if (descriptor.inodeBitmap < 1 || descriptor.inodeBitmap >= sb.blockCount) throw new CorruptImageError(`ext group ${group}: inode bitmap at block ${descriptor.inodeBitmap} is outside the volume`)
      bitmap = this.readBlock(descriptor.inodeBitmap)
      if (this.bitmaps.size > 4096) this.bitmaps.clear()
      this.bitmaps.set(group, bitmap)
    }
    const index = (number - 1) % sb.inodesPerGroup
    return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0
  }

  /** The block runs covering the inode's size. */
  private runsOf(inode: ExtInode): BlockRun[] {
    const sb = this.superblock
    const ctx = {
      where: `ext inode ${inode.number}`,
      blockSize: sb.blockSize,
      blockCount: sb.blockCount,
      neededBlocks: Math.ceil(inode.size / sb.blockSize),
      readBlock: (block: number) => {
        const bytes = this.readBlock(block)
        if (bytes.length < sb.blockSize) throw new CorruptImageError(`ext inode ${inode.number}: block ${block} is beyond the image`, block * sb.blockSize)
        return bytes
      },
    }
    return inode.flags & INODE_FLAG.extents ? extentRuns(inode.blockField, ctx) : indirectRuns(inode.blockField, ctx)
  }

  /** Inline data (inline_data feature): the first 60 bytes in i_block, the rest in the system.data attribute. */
  private inlineData(inode: ExtInode): Buffer {
    const rest = inodeAttribute(inode, XATTR_SYSTEM, 'data') ?? Buffer.alloc(0)
    return Buffer.concat([inode.blockField, rest]).subarray(0, inode.size)
  }

  private isFastSymlink(inode: ExtInode): boolean {
    if (inode.type !== MODE_TYPE.symlink || inode.flags & INODE_FLAG.inlineData) return false
    if (inode.flags & INODE_FLAG.extents) return false
    const aclBlocks = inode.fileAcl ? this.superblock.blockSize / 512 : 0
    return inode.size < 60 && inode.blocks - aclBlocks <= 0
  }

  /** Streams the inode's data, `size` bytes, holes as zeros. */
  private *chunks(inode: ExtInode): Generator<Buffer> {
    if (inode.flags & INODE_FLAG.inlineData) {
      yield this.inlineData(inode)
      return
    }
    const bs = this.superblock.blockSize
    const runs = this.runsOf(inode)
    let remaining = inode.size
    for (const run of runs) {
      let done = 0
      const total = run.length * bs
      while (done < total && remaining > 0) {
        const n = Math.min(READ_CHUNK, total - done, remaining)
        if (run.physical === null) {
          yield Buffer.alloc(n)
        } else {
          const offset = run.physical * bs + done
          const bytes = this.volume.read(offset, n)
          if (bytes.length < n) throw new CorruptImageError(`ext inode ${inode.number}: data at block ${run.physical + Math.floor(done / bs)} is beyond the image`, offset + bytes.length)
          yield bytes
        }
        done += n
        remaining -= n
      }
    }
  }

  /** The whole data of a slow symlink's target. */
  private readAll(inode: ExtInode): Buffer {
    if (inode.size > MAX_LINK_BYTES) throw new CorruptImageError(`ext inode ${inode.number}: a link target of ${inode.size} bytes is implausibly large (PATH_MAX is 4096)`, this.inodeOffset(inode.number))
    return Buffer.concat([...this.chunks(inode)])
  }

  private addProblem(error: unknown): void {
    this.problemCount++
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(error instanceof TrawlError ? error : new CorruptImageError(String(error)))
  }

  // ---------------------------------------------------------------- directories

  /** The names in a directory inode, live and deleted, in on-disk order. */
  private directoryNames(inode: ExtInode): DirectoryName[] {
    const cached = this.names.get(inode.number)
    if (cached) return cached
    if (inode.type !== MODE_TYPE.directory) throw new FileNotFoundError(`inode ${inode.number}`)
    if (inode.flags & INODE_FLAG.encrypt) throw new UnsupportedFormatError(`ext inode ${inode.number}: the directory is encrypted (fscrypt); its names cannot be read without the key`)
    const sb = this.superblock
    const options = {fileTypes: (sb.incompat & INCOMPAT.filetype) !== 0, inodeCount: sb.inodeCount, deleted: true}
    const out: DirectoryName[] = []
    const take = (bytes: Buffer, where: string, noSlackFrom?: number) => {
      const parsed = parseDirectoryBlock(bytes, {...options, ...(noSlackFrom !== undefined ? {noSlackFrom} : {})})
      out.push(...parsed.names)
      if (parsed.damage) this.addProblem(new CorruptImageError(`ext directory inode ${inode.number} ${where}: ${parsed.damage.reason} at byte ${parsed.damage.offset}; the rest of that block is not read`))
    }
    if (inode.flags & INODE_FLAG.inlineData) {
      // the first 4 bytes of an inline directory are the parent's inode number, then entries
      const data = this.inlineData(inode)
      take(data.subarray(4, Math.min(60, data.length)), 'inline data')
      if (data.length > 60) take(data.subarray(60), 'inline data (system.data)')
    } else {
      if (inode.size > MAX_DIRECTORY_BYTES) throw new CorruptImageError(`ext directory inode ${inode.number}: ${inode.size} bytes is implausibly large for a directory`, this.inodeOffset(inode.number))
      const htree = (inode.flags & INODE_FLAG.index) !== 0
      // directories have no holes: a hole in the map is skipped, not read as zeros
      for (const run of this.runsOf(inode)) {
        if (run.physical === null) continue
        for (let i = 0; i < run.length; i++) {
          const logical = run.logical + i
          const block = this.readBlock(run.physical + i)
          if (block.length < sb.blockSize) throw new CorruptImageError(`ext directory inode ${inode.number}: block ${run.physical + i} is beyond the image`)
          if (htree && logical > 0 && isHtreeNode(block)) continue
          // htree root: after '.' (12 bytes) comes '..' whose slack holds dx_root, not deleted names
          take(block, `block ${logical}`, htree && logical === 0 ? 12 + 12 : undefined)
        }
      }
    }
    // an htree leaf split or a compaction moves entries and leaves their old bytes behind: a
    // "deleted" name naming the same inode as a live name here is such a stale copy, not a deletion
    const live = new Set(out.filter((n) => !n.deleted).map((n) => `${n.inode}/${n.name}`))
    const kept = out.filter((n) => !n.deleted || !live.has(`${n.inode}/${n.name}`))
    out.length = 0
    out.push(...kept)
    this.cachedNames += out.length
    if (this.cachedNames > MAX_CACHED_NAMES) {
      this.names.clear()
      this.cachedNames = out.length
    }
    this.names.set(inode.number, out)
    return out
  }

  private lookup(directory: ExtInode, segment: string): DirectoryName | undefined {
    const names = this.directoryNames(directory)
    const folded = segment.toUpperCase()
    // exact spelling first, then case-insensitive (the interface resolves as Windows does), live before deleted
    return (
      names.find((n) => !n.deleted && n.name === segment) ??
      names.find((n) => !n.deleted && n.name.toUpperCase() === folded) ??
      names.find((n) => n.deleted && n.name === segment) ??
      names.find((n) => n.deleted && n.name.toUpperCase() === folded)
    )
  }

  private resolve(path: string): Resolved {
    const segments = path.split(/[/\\]+/).filter((s) => s !== '' && s !== '.')
    if (segments.length > MAX_DEPTH) throw new CorruptImageError(`path of ${segments.length} levels: deeper than any directory tree trawl reads`)
    let current = ROOT_INODE
    const spelled: string[] = []
    let found: DirectoryName | undefined
    for (const segment of segments) {
      const directory = this.readInode(current)
      if (directory.type !== MODE_TYPE.directory) throw new FileNotFoundError(path)
      const step = this.lookup(directory, segment)
      if (!step || step.inode === 0) throw new FileNotFoundError(path)
      current = step.inode
      spelled.push(step.name)
      found = step
    }
    return {inode: current, path: spelled.join('/'), ...(found ? {found} : {})}
  }

  // ---------------------------------------------------------------- entries

  private fileEntry(path: string, name: string, listed: DirectoryName | undefined, inodeNumber: number): FileEntry {
    const deleted = listed?.deleted ?? false
    const entry: FileEntry = {path, name, kind: kindOfFileType(listed?.fileType ?? FILE_TYPE.unknown), size: 0, times: {}, inode: String(inodeNumber)}
    if (deleted) entry.deleted = true
    if (inodeNumber === 0) return entry
    if (deleted && this.safeAllocated(inodeNumber)) {
      // the name's inode was given to another file since: its metadata is not this name's
      entry.attributes = ['reallocated']
      return entry
    }
    let inode: ExtInode
    try {
      inode = this.readInode(inodeNumber)
    } catch (error) {
      this.addProblem(error)
      entry.attributes = ['unreadable-inode']
      return entry
    }
    if (inode.mode !== 0) entry.kind = kindOfMode(inode.type)
    entry.size = inode.type === MODE_TYPE.directory ? 0 : inode.size
    entry.times = inode.times
    const attributes = attributeNames(inode)
    if (entry.kind === 'symlink') {
      try {
        entry.linkTarget = this.linkTarget(inode)
      } catch (error) {
        this.addProblem(error)
      }
    } else if (entry.kind === 'file' && !(inode.flags & INODE_FLAG.inlineData) && inode.size > 0) {
      try {
        if (this.runsOf(inode).some((r) => r.physical === null)) attributes.push('sparse')
      } catch (error) {
        this.addProblem(error)
        attributes.push('unreadable-block-map')
      }
    }
    if (attributes.length > 0) entry.attributes = attributes
    return entry
  }

  private safeAllocated(inode: number): boolean {
    try {
      return this.inodeAllocated(inode)
    } catch (error) {
      this.addProblem(error)
      return false
    }
  }

  private linkTarget(inode: ExtInode): string {
    const bytes = this.isFastSymlink(inode) ? inode.blockField.subarray(0, inode.size) : this.readAll(inode)
    return bytes.toString('utf8')
  }

  // ---------------------------------------------------------------- ReadOnlyFileSystem

  async list(dirPath: string, options?: ListOptions): Promise<FileEntry[]> {
    return this.listSync(dirPath, options)
  }

  listSync(dirPath: string, options?: ListOptions): FileEntry[] {
    const resolved = this.resolve(dirPath)
    const directory = this.readInode(resolved.inode)
    if (directory.type !== MODE_TYPE.directory) throw new FileNotFoundError(dirPath)
    const prefix = resolved.path === '' ? '' : `${resolved.path}/`
    const entries: FileEntry[] = []
    for (const listed of this.directoryNames(directory)) {
      if (listed.deleted && !options?.deleted) continue
      entries.push(this.fileEntry(prefix + listed.name, listed.name, listed, listed.inode))
    }
    return entries
  }

  async stat(path: string): Promise<FileEntry> {
    const resolved = this.resolve(path)
    const name = resolved.found?.name ?? ''
    return this.fileEntry(resolved.path, name, resolved.found, resolved.inode)
  }

  async open(path: string): Promise<Readable> {
    return this.openSync(path)
  }

  openSync(path: string): Readable {
    const resolved = this.resolve(path)
    if (resolved.found?.deleted && this.safeAllocated(resolved.inode)) {
      throw new UnsupportedFormatError(`${path}: deleted name whose inode ${resolved.inode} now belongs to another file; its content is gone`)
    }
    const inode = this.readInode(resolved.inode)
    if (inode.type === MODE_TYPE.directory) throw new FileNotFoundError(path)
    if (inode.type !== MODE_TYPE.regular && inode.type !== MODE_TYPE.symlink && inode.mode !== 0) {
      // devices, FIFOs and sockets are named, not read: they have no content on the volume
      return Readable.from([], {objectMode: false})
    }
    if (inode.flags & INODE_FLAG.encrypt) throw new UnsupportedFormatError(`${path}: the file is encrypted (fscrypt); trawl does not decrypt it`)
    if (inode.type === MODE_TYPE.symlink) return Readable.from([Buffer.from(this.linkTarget(inode), 'utf8')], {objectMode: false})
    if (resolved.found?.deleted && inode.size > 0 && !(inode.flags & INODE_FLAG.inlineData) && !hasMappedBlocks(this.runsOf(inode))) {
      throw new UnsupportedFormatError(`${path}: deleted file whose inode ${inode.number} no longer maps its blocks (ext3/4 clear the map on deletion); its content cannot be read from the inode`)
    }
    // the block map is checked before the first byte is given out
    if (!(inode.flags & INODE_FLAG.inlineData)) this.runsOf(inode)
    return Readable.from(this.chunks(inode), {objectMode: false})
  }

  async close(): Promise<void> {
    // the byte source belongs to whoever opened it
  }
}

function kindOfMode(type: number): FileKind {
  if (type === MODE_TYPE.regular) return 'file'
  if (type === MODE_TYPE.directory) return 'directory'
  if (type === MODE_TYPE.symlink) return 'symlink'
  return 'other'
}

function kindOfFileType(fileType: number): FileKind {
  if (fileType === FILE_TYPE.regular || fileType === FILE_TYPE.unknown) return 'file'
  if (fileType === FILE_TYPE.directory) return 'directory'
  if (fileType === FILE_TYPE.symlink) return 'symlink'
  return 'other'
}

const SPECIAL_NAMES: Record<number, string> = {
  [MODE_TYPE.fifo]: 'fifo',
  [MODE_TYPE.characterDevice]: 'character-device',
  [MODE_TYPE.blockDevice]: 'block-device',
  [MODE_TYPE.socket]: 'socket',
}

function attributeNames(inode: ExtInode): string[] {
  const names: string[] = []
  const special = SPECIAL_NAMES[inode.type]
  if (special) names.push(special)
  if (inode.flags & INODE_FLAG.immutable) names.push('immutable')
  if (inode.flags & INODE_FLAG.appendOnly) names.push('append-only')
  if (inode.flags & INODE_FLAG.encrypt) names.push('encrypted')
  if (inode.flags & INODE_FLAG.inlineData) names.push('inline-data')
  if (inode.flags & INODE_FLAG.index) names.push('htree')
  return names
}

/** The ext2/3/4 driver: detects the 0xEF53 superblock magic at byte 1080 and opens the volume. */
export const extDriver: FileSystemDriver = {
  name: 'ext',
  detect(volume: ByteSource): boolean {
    return isExtSuperblock(volume.read(0, SUPERBLOCK_OFFSET + 64))
  },
  open(volume: ByteSource): ExtFileSystem {
    return new ExtFileSystem(volume)
  },
}
