/**
 * ESE pages: header, page tags and the values they point at (libyal/libesedb,
 * "Hierarchical page-based storage"). Page number N sits at file offset (N + 1) x page size.
 *
 * Small pages (2, 4, 8 KiB) have a 40-byte header and tags of 13-bit size and offset,
 * the tag's top 3 bits of the offset being its flags. Large pages (16, 32 KiB, format
 * revision 0x11 and later) have an 80-byte header, 15-bit sizes and offsets, and carry
 * the tag flags in the top 3 bits of the value's first 16-bit word instead.
 */
import {xorChecksum} from './header.js'

export const PAGE_FLAGS = {
  root: 0x1,
  leaf: 0x2,
  parent: 0x4,
  empty: 0x8,
  spaceTree: 0x20,
  index: 0x40,
  longValue: 0x80,
  newFormat: 0x2000,
} as const

/** Page tag flags. */
export const TAG_FLAGS = {
  /** The value is no longer used (deleted, awaiting cleanup). */
  defunct: 0x2,
  /** The value starts with the size of the common key prefix it shares with the page's key. */
  commonKey: 0x4,
} as const

export interface PageLayout {
  pageSize: number
  formatRevision: number
}

export function isLargePage(layout: PageLayout): boolean {
  return layout.pageSize > 8192 && layout.formatRevision >= 0x11
}

export function pageHeaderSize(layout: PageLayout): number {
  return isLargePage(layout) ? 80 : 40
}

export interface PageTag {
  index: number
  /** Offset of the value in the page (from the page start). */
  offset: number
  size: number
  flags: number
}

export interface EsePage {
  number: number
  bytes: Buffer
  previous: number
  next: number
  fdpObjectId: number
  flags: number
  tags: PageTag[]
  /** Empty when the stored checksum matches; otherwise why not. */
  checksumProblem?: string
}

/**
 * Checks the page's XOR checksum. Old-format pages: XOR from offset 4 seeded with
 * 0x89abcdef, with the page number at 4. New-format pages (flag 0x2000): XOR from
 * offset 8 seeded with the page number (the ECC half is not checked). Large pages keep
 * one 8-byte checksum per quarter of the page: quarter 0 at offset 0, quarters 1-3 at 40, 48, 56.
 */
export function pageChecksumProblem(bytes: Buffer, pageNumber: number, layout: PageLayout): string | undefined {
  const flags = bytes.readUInt32LE(36)
  if ((flags & PAGE_FLAGS.newFormat) === 0) {
    const computed = xorChecksum(bytes, 4, 0x89abcdef)
    return bytes.readUInt32LE(0) === computed ? undefined : 'XOR checksum mismatch'
  }
  if (!isLargePage(layout)) {
    const computed = xorChecksum(bytes, 8, pageNumber)
    return bytes.readUInt32LE(0) === computed ? undefined : 'XOR checksum mismatch'
  }
  const quarter = layout.pageSize / 4
  for (let block = 0; block < 4; block++) {
    const part = bytes.subarray(block * quarter, (block + 1) * quarter)
    const computed = xorChecksum(part, block === 0 ? 8 : 0, pageNumber)
    const stored = bytes.readUInt32LE(block === 0 ? 0 : 40 + 8 * (block - 1))
    if (stored !== computed) return `XOR checksum mismatch in quarter ${block}`
  }
  return undefined
}

/** Parses a page's header and tags. Tags that point outside the page are dropped (counted as damage by callers via `tags.length`). */
export function parsePage(bytes: Buffer, pageNumber: number, layout: PageLayout): EsePage {
  const large = isLargePage(layout)
  const headerSize = pageHeaderSize(layout)
  let tagCount = bytes.readUInt16LE(34)
  // Format revision 0x122 reserves the upper 4 bits of the tag count in 32 KiB pages (libesedb issue 78).
  if (layout.pageSize >= 32768) tagCount &= 0x0fff
  const maxTags = Math.floor((bytes.length - headerSize) / 4)
  if (tagCount > maxTags) tagCount = maxTags
  const tags: PageTag[] = []
  for (let index = 0; index < tagCount; index++) {
    const at = bytes.length - 4 * (index + 1)
    const rawSize = bytes.readUInt16LE(at)
    const rawOffset = bytes.readUInt16LE(at + 2)
    const size = rawSize & (large ? 0x7fff : 0x1fff)
    const offset = headerSize + (rawOffset & (large ? 0x7fff : 0x1fff))
    let flags = large ? 0 : rawOffset >> 13
    if (offset + size > bytes.length - 4 * tagCount) {
      tags.push({index, offset, size: 0, flags: TAG_FLAGS.defunct})
      continue
    }
    if (large && size >= 2) flags = bytes[offset + 1]! >> 5
    tags.push({index, offset, size, flags})
  }
  const page: EsePage = {
    number: pageNumber,
    bytes,
    previous: bytes.readUInt32LE(16),
    next: bytes.readUInt32LE(20),
    fdpObjectId: bytes.readUInt32LE(24),
    flags: bytes.readUInt32LE(36),
    tags,
  }
  const problem = pageChecksumProblem(bytes, pageNumber, layout)
  if (problem) page.checksumProblem = problem
  return page
}

/**
 * The value bytes of a tag. In large pages the top 3 bits of the first word are the
 * tag flags, not part of the value; they are cleared in a copy.
 */
export function tagValue(page: EsePage, tag: PageTag, layout: PageLayout): Buffer {
  const value = page.bytes.subarray(tag.offset, tag.offset + tag.size)
  if (!isLargePage(layout) || value.length < 2) return value
  const copy = Buffer.from(value)
  copy[1] = copy[1]! & 0x1f
  return copy
}

/** A B+-tree entry: its full key (common prefix + local part) and the data after the key. */
export interface PageEntry {
  key: Buffer
  data: Buffer
  tag: PageTag
}

/**
 * Splits a value into key and data. With the common-key flag the value starts with
 * the number of leading bytes shared with the page's common key (tag 0's value).
 */
export function parseEntry(value: Buffer, tag: PageTag, commonKey: Buffer): PageEntry | undefined {
  let at = 0
  let common = 0
  if (tag.flags & TAG_FLAGS.commonKey) {
    if (value.length < 2) return undefined
    common = value.readUInt16LE(0)
    at = 2
  }
  if (value.length < at + 2) return undefined
  const localSize = value.readUInt16LE(at)
  at += 2
  if (at + localSize > value.length || common > commonKey.length) return undefined
  const key = Buffer.concat([commonKey.subarray(0, common), value.subarray(at, at + localSize)])
  return {key, data: value.subarray(at + localSize), tag}
}
