/**
 * Builds small REGF hives in memory for malformed-input tests: a base block and one
 * 4096-byte hive bin holding a root key with subkeys and values. Offsets are relative
 * to the hive bins data, as in a real hive.
 */
import {windowsChecksum} from '../../src/registry/base-block.js'

export interface TestHive {
  data: Buffer
  /** Cell offsets (relative to the hive bins data) of the records, for mutation. */
  rootOffset: number
  subkeyListOffset: number
  childOffsets: number[]
  valueListOffset: number
  valueOffsets: number[]
}

export function buildTestHive(childNames = ['Alpha', 'Beta'], values: Array<{name: string; type: number; data: Buffer}> = []): TestHive {
  const bin = Buffer.alloc(4096)
  bin.write('hbin', 0, 'latin1')
  bin.writeUInt32LE(0, 4)
  bin.writeUInt32LE(4096, 8)
  let at = 32
  const cell = (payload: Buffer): number => {
    const size = Math.ceil((payload.length + 4) / 8) * 8
    bin.writeInt32LE(-size, at)
    payload.copy(bin, at + 4)
    const offset = at
    at += size
    return offset
  }
  const nk = (name: string, parent: number, flags: number): Buffer => {
    const b = Buffer.alloc(76 + name.length)
    b.write('nk', 0, 'latin1')
    b.writeUInt16LE(flags | 0x20, 2)
    b.writeBigUInt64LE(132000000000000000n, 4)
    b.writeUInt32LE(parent, 16)
    b.writeUInt32LE(0xffffffff, 28)
    b.writeUInt32LE(0xffffffff, 32)
    b.writeUInt32LE(0xffffffff, 40)
    b.writeUInt32LE(0xffffffff, 44)
    b.writeUInt32LE(0xffffffff, 48)
    b.writeUInt16LE(name.length, 72)
    b.write(name, 76, 'latin1')
    return b
  }
  const rootOffset = cell(nk('ROOT', 0, 0x04))
  const childOffsets = childNames.map((name) => cell(nk(name, rootOffset, 0)))
  const list = Buffer.alloc(4 + childOffsets.length * 8)
  list.write('lf', 0, 'latin1')
  list.writeUInt16LE(childOffsets.length, 2)
  childOffsets.forEach((o, i) => {
    list.writeUInt32LE(o, 4 + i * 8)
    list.write(childNames[i].slice(0, 4), 8 + i * 8, 'latin1')
  })
  const subkeyListOffset = cell(list)
  const valueOffsets = values.map((v) => {
    const vk = Buffer.alloc(20 + v.name.length)
    vk.write('vk', 0, 'latin1')
    vk.writeUInt16LE(v.name.length, 2)
    vk.writeUInt32LE(v.type, 12)
    vk.writeUInt16LE(1, 16)
    vk.write(v.name, 20, 'latin1')
    if (v.data.length <= 4) {
      vk.writeUInt32LE((0x80000000 | v.data.length) >>> 0, 4)
      v.data.copy(vk, 8)
    } else {
      vk.writeUInt32LE(v.data.length, 4)
      vk.writeUInt32LE(cell(v.data), 8)
    }
    return cell(vk)
  })
  const valueList = Buffer.alloc(valueOffsets.length * 4)
  valueOffsets.forEach((o, i) => valueList.writeUInt32LE(o, i * 4))
  const valueListOffset = values.length ? cell(valueList) : 0xffffffff
  // link the root to its lists
  bin.writeUInt32LE(childOffsets.length, rootOffset + 4 + 20)
  bin.writeUInt32LE(subkeyListOffset, rootOffset + 4 + 28)
  bin.writeUInt32LE(values.length, rootOffset + 4 + 36)
  bin.writeUInt32LE(valueListOffset, rootOffset + 4 + 40)
  // the rest of the bin is one free cell
  bin.writeInt32LE(4096 - at, at)

  const base = Buffer.alloc(4096)
  base.write('regf', 0, 'latin1')
  base.writeUInt32LE(1, 4)
  base.writeUInt32LE(1, 8)
  base.writeUInt32LE(1, 20)
  base.writeUInt32LE(5, 24)
  base.writeUInt32LE(1, 32)
  base.writeUInt32LE(rootOffset, 36)
  base.writeUInt32LE(4096, 40)
  base.writeUInt32LE(1, 44)
  base.writeUInt32LE(windowsChecksum(base), 508)
  return {data: Buffer.concat([base, bin]), rootOffset, subkeyListOffset, childOffsets, valueListOffset, valueOffsets}
}

/** File offset of a field of the cell at `cellOffset` (relative offset into the cell data). */
export function fieldAt(cellOffset: number, field: number): number {
  return 4096 + cellOffset + 4 + field
}
