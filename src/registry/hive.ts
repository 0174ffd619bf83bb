/**
 * A read-only Windows registry hive (REGF): base block, hive bins, cells, keys and
 * values, with transaction-log replay for dirty hives. Built from the libyal/libregf
 * format description and M. Suhanov's specification; offsets in cells are relative
 * to the start of the hive bins data (file offset 4096).
 *
 * The whole file is held in memory (hives are small: an 11 MB SYSTEM is large), so a
 * cell read is a bounds-checked slice. Every offset a cell gives is checked against
 * the hive bin that holds it; lists are checked against their cell size, so counts
 * cannot run away; subkey lists and key trees are walked with visited sets, so loops
 * end in a CorruptImageError instead of a hang.
 */
import {existsSync, readFileSync} from 'node:fs'
import {basename} from 'node:path'
import {CorruptImageError, FileNotFoundError} from '../errors.js'
import {filetimeToIso} from '../time.js'
import {BASE_BLOCK_SIZE, type BaseBlock, isDirty, parseBaseBlock} from './base-block.js'
import {
  BIG_DATA_SEGMENT_SIZE,
  isBigData,
  type KeyNode,
  NO_OFFSET,
  parseBigData,
  parseKeyNode,
  parseSecurityKey,
  parseSubkeyList,
  parseValueKey,
  parseValueList,
  type ValueKey,
} from './cells.js'
import {type LogReplay, replayTransactionLogs, type TransactionLogFile} from './transaction-log.js'
import {type DecodedValue, decodeValueData, valueTypeName} from './value-data.js'

/** A hive bin's extent in file offsets. */
interface HiveBin {
  start: number
  end: number
}

export interface OpenHiveOptions {
  /** Replay .LOG1/.LOG2/.LOG beside the hive when it is dirty (default true). */
  applyLogs?: boolean
  /** Explicit log files instead of looking beside the hive. */
  logPaths?: string[]
}

/** Suffixes of transaction logs, in replay order (Suhanov, "Multiple transaction log files"). */
export const LOG_SUFFIXES = ['.LOG1', '.LOG2', '.LOG']

/** Finds transaction logs beside a hive file, in either case of the suffix. */
export function findTransactionLogs(hivePath: string): string[] {
  const found: string[] = []
  for (const suffix of LOG_SUFFIXES) {
    for (const candidate of [hivePath + suffix, hivePath + suffix.toLowerCase()]) {
      if (existsSync(candidate)) {
        found.push(candidate)
        break
      }
    }
  }
  return found
}

export class RegistryHive {
  readonly baseBlock: BaseBlock
  private readonly bins: HiveBin[]
  private readonly keyCache = new Map<number, KeyNode>()

  /**
   * @param data the hive bytes (after log replay, if any)
   * @param name a name for messages (the file name)
   * @param replay what log replay did, when the hive was opened with logs
   */
  constructor(readonly data: Buffer, readonly name = 'hive', readonly replay?: LogReplay) {
    this.baseBlock = parseBaseBlock(data, name)
    this.bins = this.findHiveBins()
    if (this.bins.length === 0) throw new CorruptImageError(`${name} has no hive bin ("hbin") after its base block`, BASE_BLOCK_SIZE)
  }

  /** Opens a hive file; when it is dirty, replays the transaction logs beside it. */
  static open(path: string, options: OpenHiveOptions = {}): RegistryHive {
    if (!existsSync(path)) throw new FileNotFoundError(path)
    const primary = readFileSync(path)
    const name = basename(path)
    const block = parseBaseBlock(primary, name)
    if (options.applyLogs === false) return new RegistryHive(primary, name)
    const logPaths = options.logPaths ?? findTransactionLogs(path)
    if (logPaths.length === 0) {
      return new RegistryHive(primary, name, {
        dirty: isDirty(block),
        applied: [],
        skipped: [],
        sequenceBefore: [block.primarySequence, block.secondarySequence],
        sequenceAfter: [block.primarySequence, block.secondarySequence],
      })
    }
    const logs: TransactionLogFile[] = logPaths.map((p) => ({name: basename(p), data: readFileSync(p)}))
    const {data, replay} = replayTransactionLogs(primary, logs)
    return new RegistryHive(data, name, replay)
  }

  get dirty(): boolean {
    return isDirty(this.baseBlock)
  }

  /** Hive bins from the base block to the end of the hive bins data (or of the file). */
  private findHiveBins(): HiveBin[] {
    const bins: HiveBin[] = []
    const limit = Math.min(this.data.length, BASE_BLOCK_SIZE + this.baseBlock.hiveBinsDataSize)
    let at = BASE_BLOCK_SIZE
    while (at + 32 <= limit) {
      if (this.data.toString('latin1', at, at + 4) !== 'hbin') {
        // libregf "Misaligned hive bins" / "Empty hive bins": look for the next bin on a 512-byte boundary
        at += 512
        continue
      }
      const size = this.data.readUInt32LE(at + 8)
      if (size < 4096 || size % 4096 !== 0 || at + size > this.data.length) {
        at += 4096
        continue
      }
      bins.push({start: at, end: at + size})
      at += size
    }
    return bins
  }

  private binAt(fileOffset: number): HiveBin | undefined {
    let lo = 0
    let hi = this.bins.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const bin = this.bins[mid]
      if (fileOffset < bin.start) hi = mid - 1
      else if (fileOffset >= bin.end) lo = mid + 1
      else return bin
    }
    return undefined
  }

  /** The data of the cell at `offset` (relative to the hive bins data), checked against its hive bin. */
  cell(offset: number, what = 'cell'): Buffer {
    const at = BASE_BLOCK_SIZE + offset
    if (offset === NO_OFFSET || offset < 0) throw new CorruptImageError(`${what}: no cell at offset 0x${offset.toString(16)}`, at)
    const bin = this.binAt(at)
    if (!bin) throw new CorruptImageError(`${what}: offset 0x${offset.toString(16)} lies outside every hive bin`, at)
    if (at < bin.start + 32 || at + 4 > bin.end) throw new CorruptImageError(`${what}: offset 0x${offset.toString(16)} is not a cell of its hive bin`, at)
    const size = Math.abs(this.data.readInt32LE(at))
    if (size < 8 || at + size > bin.end) {
      throw new CorruptImageError(`${what}: cell size ${size} runs outside its hive bin (bin ends at ${bin.end})`, at)
    }
    return this.data.subarray(at + 4, at + size)
  }

  keyNode(offset: number): KeyNode {
    let node = this.keyCache.get(offset)
    if (!node) {
      node = parseKeyNode(this.cell(offset, 'key node'), BASE_BLOCK_SIZE + offset + 4)
      this.keyCache.set(offset, node)
    }
    return node
  }

  /** The root key. */
  root(): RegistryKey {
    return new RegistryKey(this, this.baseBlock.rootCellOffset, this.keyNode(this.baseBlock.rootCellOffset), '')
  }

  /** A key by its path below the root ('Software\\Microsoft'; '' or '\\' is the root), case-insensitive. */
  key(path: string): RegistryKey | undefined {
    let key: RegistryKey | undefined = this.root()
    for (const part of splitKeyPath(path)) {
      key = key.subkey(part)
      if (!key) return undefined
    }
    return key
  }

  /** Key node offsets of a subkey list, through index roots, refusing loops. */
  subkeyOffsets(listOffset: number): number[] {
    const result: number[] = []
    const visited = new Set<number>()
    const walk = (offset: number, depth: number): void => {
      if (visited.has(offset)) throw new CorruptImageError(`subkey list at 0x${offset.toString(16)} refers back to itself (loop)`, BASE_BLOCK_SIZE + offset)
      // Suhanov: an index root points to leaves only; allow a little nesting, never unbounded
      if (depth > 4) throw new CorruptImageError(`subkey lists nested too deep`, BASE_BLOCK_SIZE + offset)
      visited.add(offset)
      const list = parseSubkeyList(this.cell(offset, 'subkey list'), BASE_BLOCK_SIZE + offset + 4)
      if (list.kind === 'ri') for (const leaf of list.offsets) walk(leaf, depth + 1)
      else result.push(...list.offsets)
    }
    walk(listOffset, 0)
    return result
  }

  /** Value data: inline, in one cell, or in big-data segments. */
  valueData(vk: ValueKey): Buffer {
    if (vk.dataSize === 0) return Buffer.alloc(0)
    if (vk.inline) return vk.inlineBytes.subarray(0, Math.min(4, vk.dataSize))
    const cell = this.cell(vk.dataOffset, 'value data')
    if (vk.dataSize > BIG_DATA_SEGMENT_SIZE && this.baseBlock.minorVersion > 3 && isBigData(cell)) {
      const db = parseBigData(cell, BASE_BLOCK_SIZE + vk.dataOffset + 4)
      const list = parseValueList(this.cell(db.segmentListOffset, 'big data segment list'), db.segmentCount, BASE_BLOCK_SIZE + db.segmentListOffset + 4)
      const parts: Buffer[] = []
      let remaining = vk.dataSize
      for (const segmentOffset of list) {
        if (remaining <= 0) break
        const segment = this.cell(segmentOffset, 'big data segment')
        const take = Math.min(remaining, BIG_DATA_SEGMENT_SIZE, segment.length)
        parts.push(segment.subarray(0, take))
        remaining -= take
      }
      return Buffer.concat(parts)
    }
    // libregf "Value data size exceeds hive bin cell value size": the cell size wins
    return cell.subarray(0, Math.min(vk.dataSize, cell.length))
  }
}

/** Splits 'A\\B\\C' (or with a leading backslash) into its parts. */
export function splitKeyPath(path: string): string[] {
  return path.split('\\').filter((part) => part.length > 0)
}

export class RegistryKey {
  constructor(
    readonly hive: RegistryHive,
    /** Offset of the key node cell, relative to the hive bins data. */
    readonly offset: number,
    readonly node: KeyNode,
    /** Path below the root, '\\'-separated; '' for the root. */
    readonly path: string,
  ) {}

  get name(): string {
    return this.node.name
  }

  /** Last written time, ISO 8601 UTC with all 7 fractional digits of the FILETIME. */
  get lastWritten(): string | null {
    try {
      return filetimeToIso(this.node.lastWritten)
    } catch {
      return null
    }
  }

  get className(): string | undefined {
    const {classNameOffset, classNameLength} = this.node
    if (classNameOffset === NO_OFFSET || classNameOffset === 0 || classNameLength === 0) return undefined
    const cell = this.hive.cell(classNameOffset, 'class name')
    const bytes = cell.subarray(0, Math.min(classNameLength, cell.length))
    return new TextDecoder('utf-16le').decode(bytes.length % 2 ? bytes.subarray(0, bytes.length - 1) : bytes)
  }

  /** The NT security descriptor of the key's sk record, when there is one. */
  securityDescriptor(): Buffer | undefined {
    if (this.node.securityOffset === NO_OFFSET) return undefined
    return parseSecurityKey(this.hive.cell(this.node.securityOffset, 'key security'), BASE_BLOCK_SIZE + this.node.securityOffset + 4).descriptor
  }

  subkeys(): RegistryKey[] {
    if (this.node.subkeyCount === 0 || this.node.subkeyListOffset === NO_OFFSET) return []
    return this.hive.subkeyOffsets(this.node.subkeyListOffset).map((offset) => {
      const node = this.hive.keyNode(offset)
      return new RegistryKey(this.hive, offset, node, this.path ? `${this.path}\\${node.name}` : node.name)
    })
  }

  subkey(path: string): RegistryKey | undefined {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let key: RegistryKey | undefined = this
    for (const part of splitKeyPath(path)) {
      const wanted = part.toUpperCase()
      key = key.subkeys().find((k) => k.name.toUpperCase() === wanted)
      if (!key) return undefined
    }
    return key
  }

  values(): RegistryValue[] {
    if (this.node.valueCount === 0 || this.node.valueListOffset === NO_OFFSET) return []
    const listAt = this.node.valueListOffset
    const offsets = parseValueList(this.hive.cell(listAt, 'values list'), this.node.valueCount, BASE_BLOCK_SIZE + listAt + 4)
    return offsets.map((offset) => new RegistryValue(this.hive, offset, parseValueKey(this.hive.cell(offset, 'key value'), BASE_BLOCK_SIZE + offset + 4)))
  }

  /** A value by name, case-insensitive; '' or '(default)' is the default value. */
  value(name: string): RegistryValue | undefined {
    const wanted = name === '(default)' ? '' : name.toUpperCase()
    return this.values().find((v) => v.name.toUpperCase() === wanted)
  }

  /** This key and every key below it, depth first; a key reached twice is a loop and ends the walk with an error. */
  *walk(): Generator<RegistryKey> {
    const visited = new Set<number>()
    const stack: RegistryKey[] = [this]
    while (stack.length > 0) {
      const key = stack.pop() as RegistryKey
      if (visited.has(key.offset)) throw new CorruptImageError(`key ${key.path || '(root)'} is reached twice: the key tree loops`, BASE_BLOCK_SIZE + key.offset)
      visited.add(key.offset)
      yield key
      const children = key.subkeys()
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
    }
  }
}

export class RegistryValue {
  private cachedData: Buffer | undefined

  constructor(
    readonly hive: RegistryHive,
    /** Offset of the vk cell, relative to the hive bins data. */
    readonly offset: number,
    readonly vk: ValueKey,
  ) {}

  /** '' for the default value. */
  get name(): string {
    return this.vk.name
  }

  get type(): number {
    return this.vk.type
  }

  get typeName(): string {
    return valueTypeName(this.vk.type)
  }

  /** Size the vk declares (the bytes read may be fewer when the cell is smaller). */
  get dataSize(): number {
    return this.vk.dataSize
  }

  get data(): Buffer {
    this.cachedData ??= this.hive.valueData(this.vk)
    return this.cachedData
  }

  get decoded(): DecodedValue {
    return decodeValueData(this.vk.type, this.data)
  }

  /** The string of a REG_SZ/EXPAND_SZ/LINK value, or undefined. */
  asString(): string | undefined {
    const d = this.decoded
    return d.kind === 'string' ? d.value : undefined
  }

  /** The number of a DWORD value (or of a QWORD that fits), or undefined. */
  asNumber(): number | undefined {
    const d = this.decoded
    if (d.kind === 'integer') return d.value
    if (d.kind === 'qword' && d.value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(d.value)
    return undefined
  }
}
