import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CorruptImageError, TrawlError} from '../../src/errors.js'
import {ExfatFileSystem, entrySetChecksum, exfatDriver, exfatTime, parseExfatBoot, parseExfatDirectory} from '../../src/exfat/index.js'
import type {FileEntry, ReadOnlyFileSystem} from '../../src/fs/types.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {REPO_ROOT} from '../helpers/shared.js'

/**
 * fixtures/exfat/build.sh (mkfs.exfat, files written through exfat-fuse on a loop device)
 * against The Sleuth Kit with TZ=UTC. Left out of the comparison: TSK's virtual $MBR, $FAT1,
 * $OrphanFiles, and the root's metadata entries it lists as files (the volume label entry,
 * $ALLOC_BITMAP, $UPCASE_TABLE): trawl checks and reports those as the volume's, not as files.
 */

const FIXTURES = join(REPO_ROOT, 'fixtures/exfat')
const image = () => gunzipSync(readFileSync(join(FIXTURES, 'exfat.img.gz')))
const golden = (name: string) => readFileSync(join(FIXTURES, 'golden', name), 'utf8')
const tskInvention = (path: string) => /^\$(MBR|FAT1|FAT2|OrphanFiles|ALLOC_BITMAP|UPCASE_TABLE)(\/|$)/.test(path) || path.endsWith('(Volume Label Entry)')

async function walk(fs: ReadOnlyFileSystem, dir = '', deleted = false): Promise<FileEntry[]> {
  const out: FileEntry[] = []
  for (const entry of await fs.list(dir, {deleted})) {
    out.push(entry)
    if (entry.kind === 'directory' && !entry.deleted) out.push(...(await walk(fs, entry.path, deleted)))
  }
  return out
}

async function sha256Of(fs: ReadOnlyFileSystem, path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of await fs.open(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

describe('exFAT fixture exfat.img (built by fixtures/exfat/build.sh)', () => {
  const open = () => new ExfatFileSystem(new MemoryByteSource(image()))

  it('is detected, its boot region checksum and up-case table check out, label and serial reported', () => {
    const source = new MemoryByteSource(image())
    expect(exfatDriver.detect(source)).toBe(true)
    const fs = exfatDriver.open(source) as ExfatFileSystem
    expect(fs.kind).toBe('exfat')
    expect(fs.label).toBe('EXFAT')
    expect(fs.serial).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/)
    expect(golden('exfat.fsstat.txt').replace(/-/g, '').toUpperCase()).toContain(fs.serial!.replace('-', ''))
    expect(fs.notes).toEqual([])
    expect(fs.problems).toEqual([])
  })

  it('lists the same names, entry numbers and deleted marks as fls -r -p, in the same order', async () => {
    const fs = open()
    const ours = (await walk(fs, '', true)).map((e) => `${e.kind === 'directory' ? 'd' : 'r'} ${e.deleted ? '* ' : ''}${e.inode}\t${e.path}`)
    const theirs = golden('exfat.fls.txt')
      .split('\n')
      .map((l) => /^(.)\/. (\* )?(\d+):\t(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && !tskInvention(m[4]))
      .map((m) => `${m[1]} ${m[2] ?? ''}${m[3]}\t${m[4]}`)
    expect(ours).toEqual(theirs)
    expect(ours.some((l) => l.includes('longer than fifteen.txt'))).toBe(true)
  })

  it('reads every file to the SHA-256 of icat, and gives the sizes and times (to the second) of istat', async () => {
    const fs = open()
    let hashed = 0
    for (const line of golden('exfat.sha256.txt').split('\n').filter(Boolean)) {
      const [digest, path] = line.split('\t')
      if (tskInvention(path)) continue
      expect(await sha256Of(fs, path), path).toBe(digest)
      hashed++
    }
    expect(hashed).toBeGreaterThan(30)
    const byPath = new Map((await walk(fs)).map((e) => [e.path, e]))
    for (const block of golden('exfat.istat.txt').split(/^=== /m).slice(1)) {
      const [head, ...lines] = block.split('\n')
      const path = head.split('\t')[1]
      if (tskInvention(path)) continue
      const entry = byPath.get(path)!
      expect(entry, path).toBeDefined()
      const size = lines.find((l) => l.startsWith('Size: '))
      if (entry.kind === 'file') expect(`Size: ${entry.size}`).toBe(size)
      // exfat-fuse writes a valid UTC offset of 0: the times are UTC, given with 'Z'
      const written = /^Written:\t(\S+) (\S+) \(UTC\)/m.exec(lines.join('\n'))!
      // istat leaves out the 10 ms increment (up to 1.99 s): compare the 2-second base
      const base = new Date(Math.floor(Date.parse(entry.times.modified!) / 2000) * 2000).toISOString().replace('.000Z', 'Z')
      expect(base, path).toBe(`${written[1]}T${written[2]}Z`)
    }
  })
})

describe('exFAT: damage and arbitrary bytes', () => {
  it('an entry set whose checksum fails is skipped and named; the other entries list', async () => {
    const bytes = image()
    const fs0 = new ExfatFileSystem(new MemoryByteSource(bytes))
    const before = await fs0.list('')
    const hello = Number(before.find((e) => e.name === 'hello.txt')!.inode)
    // TSK numbering: (sector - heap) * 16 + 3 + slot; the name entry is two slots on
    const offset = (Math.floor((hello - 3) / 16) + fs0.boot.clusterHeapOffset) * 512 + ((hello - 3) % 16) * 32
    bytes[offset + 64 + 2] ^= 0x20 // 'h' -> 'H' in the file name entry
    const fs = new ExfatFileSystem(new MemoryByteSource(bytes))
    const after = await fs.list('')
    expect(after.map((e) => e.name)).toEqual(before.map((e) => e.name).filter((n) => n !== 'hello.txt'))
    expect(fs.problems.map((p) => p.message).join('\n')).toMatch(/exFAT root directory: file entry set at byte \d+: set checksum 0x[0-9a-f]+ does not match its entries/)
  })

  it('a FAT chain that loops is a CorruptImageError naming the file', async () => {
    const bytes = image()
    const fs0 = new ExfatFileSystem(new MemoryByteSource(bytes))
    // DCIM/100CANON is a directory whose cluster is used through the FAT once NoFatChain is cleared
    const dir = (await fs0.list('DCIM'))[0]
    const inode = Number(dir.inode)
    const offset = (Math.floor((inode - 3) / 16) + fs0.boot.clusterHeapOffset) * 512 + ((inode - 3) % 16) * 32
    const first = bytes.readUInt32LE(offset + 32 + 20)
    bytes[offset + 32 + 1] &= ~2 // NoFatChain off
    bytes.writeUInt32LE(first, fs0.boot.fatOffset * 512 + first * 4) // its FAT entry points at itself
    // the set checksum covers the flag: recompute it
    const set = bytes.subarray(offset, offset + 32 * (bytes[offset + 1] + 1))
    set.writeUInt16LE(entrySetChecksum(set), 2)
    const sizeField = bytes.readBigUInt64LE(offset + 32 + 24)
    if (sizeField <= BigInt(fs0.boot.clusterSize)) {
      bytes.writeBigUInt64LE(BigInt(fs0.boot.clusterSize * 2), offset + 32 + 24)
      set.writeUInt16LE(entrySetChecksum(set), 2)
    }
    const fs = new ExfatFileSystem(new MemoryByteSource(bytes))
    await expect(fs.list('DCIM/100CANON')).rejects.toThrow(CorruptImageError)
    await expect(fs.list('DCIM/100CANON')).rejects.toThrow(/exFAT directory "100CANON": cluster chain loops back to cluster \d+ after 1 clusters/)
    expect(await sha256Of(fs, 'hello.txt')).toBe(await sha256Of(fs0, 'hello.txt'))
  })

  it('times: 10 ms increments, UTC offsets in 15-minute steps, local time without Z when the offset is not valid', () => {
    // 2021-03-04 05:06:06, +1 s 120 ms
    const stamp = ((2021 - 1980) << 25) | (3 << 21) | (4 << 16) | (5 << 11) | (6 << 5) | 3
    expect(exfatTime(stamp >>> 0, 112, 0x80)).toBe('2021-03-04T05:06:07.12Z')
    expect(exfatTime(stamp >>> 0, 112, 0x80 | 4)).toBe('2021-03-04T04:06:07.12Z') // UTC+01:00
    expect(exfatTime(stamp >>> 0, 112, 0x80 | 0x7c)).toBe('2021-03-04T06:06:07.12Z') // UTC-01:00
    expect(exfatTime(stamp >>> 0, 112, 0)).toBe('2021-03-04T05:06:07.12')
  })

  it('the boot sector and directory parsers return or throw typed errors on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({minLength: 512, maxLength: 512}), (body) => {
        const boot = Buffer.from(body)
        boot.write('EXFAT   ', 3, 'latin1')
        boot.writeUInt16LE(0xaa55, 510)
        try {
          const parsed = parseExfatBoot(boot)
          expect(parsed.clusterSize).toBeGreaterThanOrEqual(512)
        } catch (error) {
          expect(error).toBeInstanceOf(TrawlError)
        }
      }),
      {numRuns: 500},
    )
    fc.assert(
      fc.property(fc.uint8Array({minLength: 0, maxLength: 4096}), (body) => {
        const parsed = parseExfatDirectory(Buffer.from(body), (p) => p)
        for (const e of parsed.entries) expect(e.offset + 96).toBeLessThanOrEqual(body.length)
      }),
      {numRuns: 500},
    )
  })
})
