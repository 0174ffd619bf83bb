import fs, {copyFileSync, mkdtempSync, truncateSync} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {syncBuiltinESMExports} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {exifParser, type ExifRecord} from '../../src/parsers/media/exif.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {FIXTURES} from './golden.js'

const BIG = 64 << 20

/** Counts every byte read through fs.promises file handles (exifr's reader and trawl's own). */
function countReads(): {bytes: () => number} {
  const realOpen = fs.promises.open
  let bytes = 0
  vi.spyOn(fs.promises, 'open').mockImplementation(async (...args: Parameters<typeof realOpen>) => {
    const handle: FileHandle = await realOpen(...args)
    const realRead = handle.read.bind(handle) as (...a: unknown[]) => Promise<{bytesRead: number}>
    ;(handle as unknown as {read: unknown}).read = async (...a: unknown[]) => {
      const result = await realRead(...a)
      bytes += result.bytesRead
      return result
    }
    return handle
  })
  // ESM imports of node:fs/promises follow the patched object only after this
  syncBuiltinESMExports()
  return {bytes: () => bytes}
}

afterEach(() => {
  vi.restoreAllMocks()
  syncBuiltinESMExports()
})

/** A copy of a fixture grown to 64 MiB (zeros after the picture's own bytes). */
function grown(file: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trawl-big-')), file)
  copyFileSync(join(FIXTURES, file), path)
  truncateSync(path, BIG)
  return path
}

describe('only the metadata bytes are read, never the whole picture', () => {
  // exifr reads JPEG and ORF from the file itself (its first 64 KiB chunk is counted too);
  // for AVIF, WebP and CR3 trawl reads the EXIF bytes and hands them over.
  for (const [file, exifrReadsFile] of [['gps-offset.jpg', true], ['camera.avif', false], ['gps.webp', false], ['canon.cr3', false], ['olympus.orf', true]] as const) {
    it(`${file} grown to 64 MiB: EXIF read with well under 1 MiB of reads`, async () => {
      const path = grown(file)
      const input = {...parserInputFor(path), sha256: 'ab'.repeat(32)}
      const reads = countReads()
      const records = await parseAll(exifParser, input)
      const record = records.find((r) => r.type === 'media.exif') as ExifRecord
      expect(record.exif).toBe(true)
      expect(record.make).not.toBeNull()
      expect(record.size).toBe(BIG)
      expect(reads.bytes()).toBeGreaterThan(exifrReadsFile ? 65_536 : 4096)
      expect(reads.bytes()).toBeLessThan(1 << 20)
    })
  }

  it('without the engine hash, the whole file is read once for its SHA-256 (and only once)', async () => {
    const path = grown('gps-offset.jpg')
    const reads = countReads()
    const records = await parseAll(exifParser, parserInputFor(path))
    expect((records[0] as ExifRecord).sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(reads.bytes()).toBeGreaterThanOrEqual(BIG)
    expect(reads.bytes()).toBeLessThan(BIG + (1 << 20))
  })
})
