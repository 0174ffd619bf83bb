import {expect, it} from 'vitest'
import {CorruptImageError} from '../../src/errors.js'
import {FileByteSource, SliceByteSource} from '../../src/image/byte-source.js'
import {NtfsFileSystem, ntfsDriver} from '../../src/ntfs/index.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {flsKeys, sha256Of, trawlKeys, walk} from './ntfs-fixtures.js'
import {readFileSync} from 'node:fs'
import {createHash} from 'node:crypto'

describeShared('grr_ntfs_img.dd: NTFS formatted by Windows, at sector 63, image truncated to 2.1 MB', () => {
  const open = (): NtfsFileSystem => {
    const image = new FileByteSource(sharedFile('disk/raw/grr_ntfs_img.dd'))
    // the partition table declares 160587 sectors; the file holds only the first 2.1 MB of them
    const volume = new SliceByteSource(image, 63 * 512, 160587 * 512)
    expect(ntfsDriver.detect(volume)).toBe(true)
    return ntfsDriver.open(volume) as NtfsFileSystem
  }

  it('lists the same allocated files and streams as fls -r -p -o 63 (observed_here)', async () => {
    const fs = open()
    const observed = readFileSync(sharedFile('observed_here/disk_raw_grr_ntfs_img.dd.tsk.txt'), 'utf8')
    const flsPart = observed.slice(observed.indexOf('$ fls -r -p -o 63'))
    const theirs = flsKeys(flsPart, false)
    expect(theirs.size).toBe(29)
    const ours = trawlKeys(await walk(fs))
    expect([...theirs].filter((k) => !ours.has(k))).toEqual([])
    const extra = [...ours.keys()].filter((k) => !theirs.has(k))
    // metadata files with no unnamed $DATA: fls lists only their index or named streams
    expect(extra.sort()).toEqual(['24\t$Extend/$Quota', '25\t$Extend/$ObjId', '26\t$Extend/$Reparse', '9\t$Secure'])
  })

  it('reads "/Test Directory/notes.txt" = "Hello world\\n" and its ADS "ads", created 2011-12-17 00:14:37', async () => {
    const fs = open()
    const notes = await fs.stat('/test directory/NOTES.TXT')
    expect(notes.path).toBe('Test Directory/notes.txt')
    expect(notes.inode?.split('-')[0]).toBe('65')
    expect(notes.size).toBe(12)
    expect(notes.streams).toEqual([{name: 'ads', size: 16}])
    expect(notes.times.created?.slice(0, 19)).toBe('2011-12-17T00:14:37')
    expect(await sha256Of(fs, 'Test Directory/notes.txt')).toBe(createHash('sha256').update('Hello world\n').digest('hex'))
    expect(await sha256Of(fs, 'Test Directory/notes.txt', 'ads')).toBe(createHash('sha256').update('I am a real ADS\n').digest('hex'))
    const listing = await fs.list('Test Directory')
    expect(listing.map((e) => e.name).sort()).toEqual(['notes.txt', 'notes.txt:ads', '入乡随俗 海外春节别样过法.txt'].sort())
    expect(fs.label).toBeDefined()
  })

  it('reads what a further truncated copy still holds and names the missing clusters with a typed error', async () => {
    // the NTFS volume itself (4095 sectors) fits in the file; cut it to its first 1 MB to lose clusters
    const image = new FileByteSource(sharedFile('disk/raw/grr_ntfs_img.dd'))
    const fs = ntfsDriver.open(new SliceByteSource(image, 63 * 512, 1_000_000)) as NtfsFileSystem
    const entries = await walk(fs)
    expect(entries.map((e) => e.path)).toContain('Test Directory/notes.txt')
    const failures: string[] = []
    for (const entry of entries.filter((e) => e.kind === 'file' && e.size > 0)) {
      try {
        await sha256Of(fs, entry.path)
      } catch (error) {
        expect(error, entry.path).toBeInstanceOf(CorruptImageError)
        failures.push(`${entry.path}: ${(error as Error).message}`)
      }
    }
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.join('\n')).toMatch(/truncated image|past the end of the/)
    expect(await sha256Of(fs, 'Test Directory/notes.txt')).toBe(createHash('sha256').update('Hello world\n').digest('hex'))
  })
})
