import {beforeAll, expect, it} from 'vitest'
import type {ReadOnlyFileSystem} from '../../src/fs/types.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {chooseVolume} from '../../src/image/listing.js'
import {openSource} from '../../src/source/open.js'
import type {EvidenceSource} from '../../src/source/types.js'
import {describeShared} from '../helpers/shared.js'
import {flsKeys, sha256Of, trawlKeys, walk} from '../ntfs/ntfs-fixtures.js'
import {VSSTEST_QCOW2, goldenSums, vssGolden} from './vsstest.js'

describeShared("plaso's vsstest.qcow2: both Volume Shadow Copies, as vshadowinfo, vshadowmount, fls and icat read them", () => {
  let source: EvidenceSource
  beforeAll(async () => {
    source = await openSource(VSSTEST_QCOW2, {snapshots: 'all'})
    return () => source.close()
  }, 120_000)
  const volume = (id: string) => source.volumes.find((v) => v.id === id)!
  const fsOf = (id: string) => volume(id).fs as NtfsFileSystem

  it('finds both snapshots with the creation times INDEX.md gives (vss1 06:35:09.7363787, vss2 06:37:48.9190583) and vshadowinfo\'s identifiers', () => {
    const copies = volume('vol').description.shadowCopies!
    expect(copies.map((c) => [c.number, c.createdAt])).toEqual([
      [1, '2013-12-03T06:35:09.7363787Z'],
      [2, '2013-12-03T06:37:48.9190583Z'],
    ])
    const info = vssGolden('vshadowinfo.txt')
    for (const copy of copies) {
      const store = info.split(`Store: ${copy.number}\n`)[1]!
      expect(store).toContain(`Identifier\t\t: ${copy.storeId}`)
      expect(store).toContain(`Shadow copy set ID\t: ${copy.shadowCopySetId}`)
      expect(store).toContain(`Shadow copy ID\t\t: ${copy.shadowCopyId}`)
      expect(store).toContain(`(${copy.volumeSize} bytes)`)
      expect(store).toContain(`Attribute flags\t\t: 0x${copy.attributeFlags!.toString(16).padStart(8, '0')}`)
    }
    expect(source.volumes.map((v) => [v.id, v.description.fileSystem, v.fs !== undefined])).toEqual([
      ['vol', 'ntfs', true],
      ['vol@vss1', 'ntfs', true],
      ['vol@vss2', 'ntfs', true],
    ])
    expect(source.warnings).toEqual([])
  })

  for (const [id, name] of [['vol', 'live'], ['vol@vss1', 'vss1'], ['vol@vss2', 'vss2']] as const) {
    it(`${id} lists the same files and streams as fls -r -p on ${name === 'live' ? 'the volume' : `vshadowmount's ${name}`}`, async () => {
      const ours = trawlKeys(await walk(fsOf(id)))
      const theirs = flsKeys(vssGolden(`fls-${name}.txt`), false)
      expect([...theirs].filter((k) => !ours.has(k))).toEqual([])
      // metadata files with no unnamed $DATA: fls lists only their index streams
      expect([...ours.keys()].filter((k) => !theirs.has(k)).sort()).toEqual(['24\t$Extend/$Quota', '25\t$Extend/$ObjId', '26\t$Extend/$Reparse', '9\t$Secure'])
    })

    it(`${id}: every file's SHA-256 equals icat's`, async () => {
      const fs = fsOf(id)
      const sums = goldenSums(name)
      expect(sums.length).toBeGreaterThan(15)
      for (const file of sums) expect(`${file.path} ${await sha256Of(fs, file.path)}`).toBe(`${file.path} ${file.sha256}`)
    })
  }

  it('holds history the live volume lost: syslog (vss1) before it was gzipped, password.txt only live', async () => {
    const names = async (id: string) => (await fsOf(id).list('')).map((e) => e.name).filter((n) => !n.startsWith('$') && n !== 'System Volume Information')
    expect(await names('vol@vss1')).toEqual(['syslog'])
    expect((await names('vol@vss2')).sort()).toEqual(['another_file', 'syslog.gz'])
    expect((await names('vol')).sort()).toEqual(['another_file', 'password.txt', 'syslog.gz'])
  })

  it("reproduces plaso's filestat values for $TxfLog.blf on the live volume (size 65536, crtime 06:30:42.9779097, mtime 06:39:02.0207867)", async () => {
    const entry = await fsOf('vol').stat('$Extend/$RmMetadata/$TxfLog/$TxfLog.blf')
    expect([entry.size, entry.times.created, entry.times.modified]).toEqual([65536, '2013-12-03T06:30:42.9779097Z', '2013-12-03T06:39:02.0207867Z'])
  })

  it('--snapshot N picks the volume with shadow copies, and says which numbers exist', () => {
    expect(chooseVolume(source, undefined, 2).id).toBe('vol@vss2')
    expect(() => chooseVolume(source, undefined, 3)).toThrow('vol has no shadow copy 3 (its shadow copies: 1, 2)')
    expect(chooseVolume(source).id).toBe('vol')
  })

  it('is opened without snapshot volumes by default, each one still listed in the volume description', async () => {
    const plain = await openSource(VSSTEST_QCOW2)
    try {
      expect(plain.volumes.map((v) => v.id)).toEqual(['vol'])
      expect(plain.volumes[0]!.description.shadowCopies).toHaveLength(2)
      const fs: ReadOnlyFileSystem = plain.volumes[0]!.fs!
      expect((await fs.list('')).some((e) => e.name === 'password.txt')).toBe(true)
    } finally {
      await plain.close()
    }
  })
})
