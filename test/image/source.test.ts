import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ExitCode, UnsupportedFormatError, UsageError} from '../../src/errors.js'
import {fileSystemDrivers} from '../../src/fs/drivers.js'
import {adler32, parseSectionDescriptor} from '../../src/image/ewf.js'
import {imageInfo} from '../../src/image/info.js'
import {openImageFile, openVolumeFile} from '../../src/image/extract.js'
import {chooseVolume, formatFlsLines, listVolume, listVolumeJson, splitStreamPath, walkVolume} from '../../src/image/listing.js'
import {openSource} from '../../src/source/open.js'
import type {EvidenceSource, EvidenceVolume} from '../../src/source/types.js'
import type {ReadOnlyFileSystem} from '../../src/fs/types.js'
import {Readable} from 'node:stream'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {golden, imageFixture, parseMmls, scratchDir} from './fixtures.js'

const ntfsDriver = fileSystemDrivers.some((d) => d.name === 'ntfs')

/** An NTFS volume is read once the NTFS driver is registered, and named as unread until then. */
function expectNtfs(volume: EvidenceVolume): void {
  expect(volume.description.fileSystem).toBe('ntfs')
  if (ntfsDriver) expect(volume.fs).toBeDefined()
  else expect(volume.unreadable).toBe('file system ntfs is not read by trawl')
}

describe('image evidence source', () => {
  it('opens the MBR disk through openSource: one volume per partition, numbered p1..p5', async () => {
    const source = await openSource(imageFixture('mbr.raw'))
    try {
      expect(source.description).toMatchObject({kind: 'image', format: 'raw', size: 6 * 1024 * 1024})
      expect(source.volumes.map((v) => v.id)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5'])
      const mmls = parseMmls(golden('mbr.raw.mmls.txt')).partitions
      expect(source.volumes.map((v) => v.description.offset)).toEqual(mmls.map((r) => r.start * 512))
      expect(source.volumes.map((v) => v.description.size)).toEqual(mmls.map((r) => r.length * 512))
      expect(source.volumes.map((v) => v.description.partitionType)).toEqual(['0x01', '0x07', '0x83', '0x01', '0x07'])
      // the FAT12 primary (mkfs.fat, empty): read, with the note that its times are local
      expect(source.volumes[0]).toMatchObject({
        description: {scheme: 'mbr', index: 1, fileSystem: 'fat12', label: 'MBRFAT', serial: '1234-ABCD', notes: [expect.stringMatching(/local time .* no time zone/)]},
      })
      expect(source.volumes[0].unreadable).toBeUndefined()
      expect(await source.volumes[0].fs!.list('')).toEqual([])
      // the ext2 logical partition (mke2fs, empty): read, its one directory listed as fls lists it
      expect(source.volumes[2].description).toMatchObject({fileSystem: 'ext2', label: 'mbrext2', serial: '2f0e4b3a-5c6d-4e7f-8a9b-0c1d2e3f4a5b'})
      expect((await source.volumes[2].fs!.list('')).map((e) => [e.name, e.kind, e.inode])).toEqual([['lost+found', 'directory', '11']])
      expectNtfs(source.volumes[1])
      expectNtfs(source.volumes[4])
    } finally {
      await source.close()
    }
  })

  it('opens the GPT disk from its E01 with the stored hashes and case metadata', async () => {
    const source = await openSource(imageFixture('gpt-u.E02'))
    try {
      expect(source.description.format).toBe('ewf')
      expect(source.description.segments).toHaveLength(5)
      expect(source.description.metadata).toMatchObject({caseNumber: 'CASE-2026-0043', evidenceNumber: 'EV-8', examiner: 'John Examiner'})
      expect(source.description.storedHashes?.md5).toBe(golden('gpt.raw.md5sum.txt').split(' ')[0])
      expect(source.volumes.map((v) => [v.id, v.description.partitionType, v.description.fileSystem])).toEqual([
        ['p1', 'EFI System partition', 'fat12'],
        ['p2', 'Microsoft reserved partition', 'unknown'],
        ['p3', 'Basic data partition', 'ntfs'],
        ['p4', 'Linux filesystem', 'ext2'],
        ['p5', 'Windows recovery partition', 'unknown'],
      ])
      expect(source.volumes[1].unreadable).toBe('no file system trawl recognises (partition type Microsoft reserved partition)')
    } finally {
      await source.close()
    }
  })

  it('image info gathers format, metadata, hashes and partitions in one result', async () => {
    const info = await imageInfo(imageFixture('mbr.E01'))
    expect(info).toMatchObject({format: 'ewf', size: 6291456, scheme: 'mbr', storedHashes: {md5: golden('mbr.raw.md5sum.txt').split(' ')[0]}})
    expect(info.metadata?.caseNumber).toBe('CASE-2026-0042')
    expect(info.partitions.map((p) => [p.id, p.slot, p.startSector, p.sectorCount, p.fileSystem])).toEqual([
      ['p1', '000:000', 2048, 1024, 'fat12'],
      ['p2', '000:001', 3072, 2560, 'ntfs'],
      ['p3', '001:000', 5696, 512, 'ext2'],
      ['p4', '002:000', 6272, 512, 'fat12'],
      ['p5', '003:000', 6848, 2200, 'ntfs'],
    ])
  })

  it('a file that is no image trawl recognises is an UnsupportedFormatError', async () => {
    const dir = scratchDir()
    const path = join(dir, 'notes.txt')
    writeFileSync(path, 'not a disk image\n'.repeat(100))
    await expect(openSource(path)).rejects.toThrow(UnsupportedFormatError)
  })
})

describe('listing and reading a volume (through a directory source, the same interface an image volume gives)', () => {
  function tree(): string {
    const dir = scratchDir()
    mkdirSync(join(dir, 'Users/Alice/AppData'), {recursive: true})
    writeFileSync(join(dir, 'Users/Alice/notes.txt'), 'hello\n')
    writeFileSync(join(dir, 'Users/Alice/AppData/History'), Buffer.alloc(5000, 7))
    writeFileSync(join(dir, 'top.bin'), Buffer.from([1, 2, 3]))
    return dir
  }

  it('walks recursively like fls -r -p', async () => {
    const source = await openSource(tree())
    try {
      const volume = chooseVolume(source)
      const paths: string[] = []
      for await (const entry of walkVolume(volume.fs, '', {recursive: true})) paths.push(entry.path)
      expect(paths.sort()).toEqual(['Users', 'Users/Alice', 'Users/Alice/AppData', 'Users/Alice/AppData/History', 'Users/Alice/notes.txt', 'top.bin'])
      const listing = await listVolume(source, '/users/alice', {recursive: false})
      expect(listing.entries.map((e) => [e.path, e.type, e.size])).toEqual(
        expect.arrayContaining([
          ['Users/Alice/AppData', 'directory', 0],
          ['Users/Alice/notes.txt', 'file', 6],
        ]),
      )
      expect(listing.entries).toHaveLength(2)
      for (const [path, recursive] of [['/users/alice', false], ['Users/Alice/AppData', true], ['', true]] as const) {
        let streamed = ''
        for await (const piece of listVolumeJson(source, path, {recursive})) streamed += piece
        expect(streamed).toBe(JSON.stringify(await listVolume(source, path, {recursive}), null, 2))
      }
    } finally {
      await source.close()
    }
  })

  it('formats fls lines with the deleted mark and one line per alternate stream', () => {
    const entry = {path: 'Test Directory/notes.txt', name: 'notes.txt', kind: 'file' as const, size: 12, times: {}, inode: '65-1', streams: [{name: 'ads', size: 16}]}
    expect(formatFlsLines(entry)).toEqual(['r/r 65-1:\tTest Directory/notes.txt', 'r/r 65-1:\tTest Directory/notes.txt:ads'])
    expect(formatFlsLines({...entry, deleted: true, streams: []})).toEqual(['r/r * 65-1:\tTest Directory/notes.txt'])
    expect(splitStreamPath('Test Directory/notes.txt:ads')).toEqual({path: 'Test Directory/notes.txt', stream: 'ads'})
    expect(splitStreamPath('a:b/c.txt')).toEqual({path: 'a:b/c.txt'})
  })

  it('cat opens the default stream or the named stream of the chosen volume', async () => {
    // An in-memory volume: the engine is tested apart from any one file system.
    const opened: Array<[string, string | undefined]> = []
    const fs: ReadOnlyFileSystem = {
      kind: 'memory',
      async list() {
        return []
      },
      async stat(path) {
        return {path, name: path, kind: 'file', size: 3, times: {}}
      },
      async open(path, options) {
        opened.push([path, options?.stream])
        return Readable.from([Buffer.from(`${path}|${options?.stream ?? ''}`)])
      },
    }
    const source: EvidenceSource = {
      description: {kind: 'image', path: 'memory.dd'},
      volumes: [
        {id: 'p1', description: {scheme: 'mbr', index: 1}, unreadable: 'file system ext2 is not read by trawl'},
        {id: 'p2', description: {scheme: 'mbr', index: 2}, fs},
      ],
      async close() {},
    }
    const read = async (spec: string, partition?: number) => {
      const chunks: Buffer[] = []
      for await (const chunk of await openVolumeFile(source, spec, {partition})) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks).toString()
    }
    expect(await read('/Users/Alice/notes.txt')).toBe('Users/Alice/notes.txt|')
    expect(await read('Test Directory\\notes.txt:ads', 2)).toBe('Test Directory/notes.txt|ads')
    expect(opened).toEqual([
      ['Users/Alice/notes.txt', undefined],
      ['Test Directory/notes.txt', 'ads'],
    ])
    await expect(read('x.txt', 1)).rejects.toThrow(/p1: file system ext2 is not read by trawl/)
  })

  it('an image whose partitions trawl cannot read says so, per partition', async () => {
    const source = await openSource(imageFixture('gpt.raw'))
    try {
      expect(() => chooseVolume(source, 9)).toThrow(UsageError)
      expect(() => chooseVolume(source, 9)).toThrow(/no partition 9 .*\(partitions: 1, 2, 3, 4, 5\)/)
      // p2 (Microsoft reserved) holds no file system; p4 (ext2) is read
      expect(() => chooseVolume(source, 2)).toThrow(UnsupportedFormatError)
      expect(() => chooseVolume(source, 2)).toThrow(/p2: no file system trawl recognises \(partition type Microsoft reserved partition\)/)
      expect(chooseVolume(source, 4).fs.kind).toBe('ext2')
    } finally {
      await source.close()
    }
  })
})

const built = existsSync(join(REPO_ROOT, 'dist/commands/image/info.js'))

function trawl(...args: string[]): {status: number | null; stdout: string; stderr: string} {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...args], {encoding: 'utf8'})
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe.skipIf(!built)('trawl image commands (after npm run build)', () => {
  it('image info --json describes the E01', () => {
    const result = trawl('image', 'info', imageFixture('mbr.E01'), '--json')
    expect(result.status).toBe(0)
    const info = JSON.parse(result.stdout)
    expect(info.metadata.examiner).toBe('Jane Examiner')
    expect(info.partitions).toHaveLength(5)
  })

  it('image verify exits 0 on a matching E01 and 1 on a mismatch', () => {
    const ok = trawl('image', 'verify', imageFixture('gpt-u.E01'))
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/Verified/)
    const dir = scratchDir()
    const bad = join(dir, 'mbr.E01')
    const bytes = readFileSync(imageFixture('mbr.E01'))
    // change the stored MD5 in the hash and digest sections, keeping their checksums valid
    for (let offset = 13; ; ) {
      const section = parseSectionDescriptor(bytes.subarray(offset, offset + 76), offset, 'mbr.E01')
      const data = offset + 76
      if (section.type === 'hash' || section.type === 'digest') {
        const checked = section.type === 'hash' ? 32 : 76
        bytes[data] ^= 0xff
        bytes.writeUInt32LE(adler32(bytes, data, data + checked), data + checked)
      }
      if (section.type === 'done') break
      offset = section.nextOffset
    }
    writeFileSync(bad, bytes)
    const mismatch = trawl('image', 'verify', bad)
    expect(mismatch.status).toBe(ExitCode.invalid)
    expect(mismatch.stdout).toMatch(/MISMATCH: the media data does not match/)
  })

  it('image ls on an image with no readable file system exits with the image exit code and one clear line', () => {
    const result = trawl('image', 'ls', imageFixture('gpt.raw'), '--partition', '2')
    expect(result.status).toBe(ExitCode.image)
    expect(result.stderr.replace(/\s*›\s*/g, ' ')).toMatch(/gpt\.raw p2: no file system trawl recognises/)
  })

  it('image cat of a missing split segment exits with the image exit code', () => {
    const dir = scratchDir()
    writeFileSync(join(dir, 'd.000'), Buffer.alloc(512))
    writeFileSync(join(dir, 'd.002'), Buffer.alloc(512))
    const result = trawl('image', 'cat', join(dir, 'd.000'), 'x.txt')
    expect(result.status).toBe(ExitCode.image)
    expect(result.stderr.replace(/\s*›\s*/g, ' ')).toMatch(/d\.001 is missing/)
  })
})

describeShared('real images as evidence sources', () => {
  it('dfvfs_ext2.E01 is one bare ext2 volume, named and read', async () => {
    const source = await openSource(sharedFile('disk/ewf/dfvfs_ext2.E01'))
    try {
      expect(source.volumes).toHaveLength(1)
      expect(source.volumes[0]).toMatchObject({
        id: 'vol',
        description: {scheme: 'none', fileSystem: 'ext2', label: 'ext2_test'},
      })
      expect(source.volumes[0].unreadable).toBeUndefined()
      expect((await source.volumes[0].fs!.stat('passwords.txt')).size).toBe(116)
    } finally {
      await source.close()
    }
  })

  it('plaso split E01: p1 unformatted, p2 ext2', async () => {
    const source = await openSource(sharedFile('disk/ewf/plaso_split/image-split.E02'))
    try {
      expect(source.volumes.map((v) => [v.id, v.description.offset, v.description.size, v.description.fileSystem])).toEqual([
        ['p1', 512, 350 * 512, 'unknown'],
        ['p2', 352 * 512, 2528 * 512, 'ext2'],
      ])
      expect(source.volumes[1].unreadable).toBeUndefined()
      expect(source.volumes[1].fs!.kind).toBe('ext2')
    } finally {
      await source.close()
    }
  })

  it('grr_ntfs_img.dd: p1 is NTFS at offset 32256', async () => {
    const source = await openSource(sharedFile('disk/raw/grr_ntfs_img.dd'))
    try {
      expect(source.volumes.map((v) => v.id)).toEqual(['p1'])
      expect(source.volumes[0].description).toMatchObject({offset: 32256, size: 160587 * 512, partitionType: '0x07'})
      expectNtfs(source.volumes[0])
    } finally {
      await source.close()
    }
  })
})

/** fls -r -p lines as path (before any ':stream') -> MFT entry number, allocated entries only. */
function flsEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^([rd-])\/([rd-]) (\d+)-\d+-\d+:\t(.+)$/.exec(line)
    if (!m) continue
    entries.set(m[4].replace(/:[^/]*$/, ''), m[3])
  }
  return entries
}

describe.skipIf(!ntfsDriver)('NTFS partitions of the image fixtures, once the NTFS driver is registered', () => {
  for (const [image, partition, listing] of [
    ['mbr.E01', 2, 'mbr.raw.p2.fls.txt'],
    ['mbr.raw.001', 5, 'mbr.raw.p7.fls.txt'],
    ['gpt-u.E01', 3, 'gpt.raw.p3.fls.txt'],
  ] as const) {
    it(`${image} p${partition} lists the same allocated files and MFT entries as fls -r -p`, async () => {
      const source = await openSource(imageFixture(image))
      try {
        const listed = await listVolume(source, '', {recursive: true, partition})
        const ours = new Map(listed.entries.filter((e) => !e.deleted).map((e) => [e.path, e.inode?.split('-')[0]]))
        expect(ours).toEqual(flsEntries(golden(listing)))
        // the streamed document (image ls --json) is the same text, piece by piece
        let streamed = ''
        for await (const piece of listVolumeJson(source, '', {recursive: true, deleted: true, partition})) streamed += piece
        expect(streamed).toBe(JSON.stringify(await listVolume(source, '', {recursive: true, deleted: true, partition}), null, 2))
      } finally {
        await source.close()
      }
    })
  }

  it('cat of mbr.E01 p2 hello.txt has the SHA-256 of icat', async () => {
    const file = await openImageFile(imageFixture('mbr.E01'), 'HELLO.TXT', {partition: 2})
    const hash = createHash('sha256')
    for await (const chunk of file.stream) hash.update(chunk as Buffer)
    await file.close()
    expect(hash.digest('hex')).toBe(golden('mbr.raw.p2.hello.sha256.txt').split(' ')[0])
  })
})
