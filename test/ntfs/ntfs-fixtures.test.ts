import {describe, expect, it} from 'vitest'
import {NtfsFileSystem, ntfsDriver} from '../../src/ntfs/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, flsKeys, golden, isoSeconds, parseBodyfile, sha256Of, trawlKeys, walk} from './ntfs-fixtures.js'

const images = [
  {name: 'main', clusterSize: 4096, label: 'TRAWL MAIN'},
  {name: 'c512', clusterSize: 512, label: 'C512'},
  {name: 'c64k', clusterSize: 65536, label: 'C64K'},
]

for (const image of images) {
  describe(`NTFS fixture ${image.name}.img (${image.clusterSize}-byte clusters, built by fixtures/ntfs/build.sh)`, () => {
    const open = () => new NtfsFileSystem(new MemoryByteSource(fixtureImage(image.name)))

    it('is detected by its boot sector and reports label and serial', () => {
      const source = new MemoryByteSource(fixtureImage(image.name))
      expect(ntfsDriver.detect(source)).toBe(true)
      const fs = ntfsDriver.open(source)
      expect(fs.label).toBe(image.label)
      const istat = golden(`${image.name}.istat-0.txt`)
      expect(istat).toContain('$MFT')
      expect((fs as NtfsFileSystem).boot.clusterSize).toBe(image.clusterSize)
      expect(fs.serial).toMatch(/^[0-9A-F]{16}$/)
    })

    it('lists the same allocated files and streams as fls -r -p', async () => {
      const fs = open()
      const entries = await walk(fs)
      expect(entries.every((e) => !e.deleted)).toBe(true)
      const ours = trawlKeys(entries)
      const theirs = flsKeys(golden(`${image.name}.fls.txt`), false)
      const missing = [...theirs].filter((k) => !ours.has(k))
      expect(missing).toEqual([])
      // we also list metadata files with no unnamed $DATA ($Secure, $Extend/$Quota): fls lists only their streams
      const extra = [...ours.keys()].filter((k) => !theirs.has(k))
      expect(extra.sort()).toEqual(['24\t$Extend/$Quota', '25\t$Extend/$ObjId', '26\t$Extend/$Reparse', '9\t$Secure'])
      expect(fs.problems).toEqual([])
    })

    it('gives every file and stream the size and the $SI and $FN times of the fls bodyfile', async () => {
      const fs = open()
      const entries = await walk(fs)
      const byPath = new Map(entries.map((e) => [e.path, e]))
      // TSK renders a FILETIME of 0 (mkntfs leaves $MFT's $SI times unset) as this value
      const tskZero = 3373865674
      const bodyTime = (t: number): number => (t === tskZero ? 0 : t)
      let checkedSi = 0
      let checkedFn = 0
      for (const line of parseBodyfile(golden(`${image.name}.bodyfile.txt`))) {
        if (line.name.includes('$OrphanFiles') || line.name.includes('/.:') || line.name.endsWith('/.')) continue
        const isFileName = line.name.endsWith(' ($FILE_NAME)')
        const name = (isFileName ? line.name.slice(0, -' ($FILE_NAME)'.length) : line.name).replace(/^\//, '')
        let entry = byPath.get(name)
        let stream: string | undefined
        if (!entry) {
          const colon = name.lastIndexOf(':')
          entry = byPath.get(name.slice(0, colon))
          stream = name.slice(colon + 1)
        }
        if (!entry) continue // an index stream ($O, $Q, $R) of a metadata file, or an unlisted record
        if (!line.inode.includes('-128-') && !line.inode.includes('-144-') && !line.inode.includes('-48-')) continue
        if (isFileName) {
          const fn = entry.fileNameTimes?.find((t) => t.name === entry!.name) ?? entry.fileNameTimes?.[0]
          expect(fn, line.name).toBeDefined()
          expect([isoSeconds(fn!.accessed), isoSeconds(fn!.modified), isoSeconds(fn!.changed), isoSeconds(fn!.created)], line.name).toEqual([
            bodyTime(line.atime),
            bodyTime(line.mtime),
            bodyTime(line.ctime),
            bodyTime(line.crtime),
          ])
          checkedFn++
          continue
        }
        if (stream !== undefined) {
          const s = entry.streams?.find((x) => x.name === stream)
          if (!s) continue // index attribute such as $Secure:$SDH
          expect(s.size, line.name).toBe(line.size)
        } else if (!line.inode.includes('-144-')) {
          // (a directory's bodyfile size is its index's)
          expect(entry.size, line.name).toBe(line.size)
        }
        expect([isoSeconds(entry.times.accessed), isoSeconds(entry.times.modified), isoSeconds(entry.times.changed), isoSeconds(entry.times.created)], line.name).toEqual([
          bodyTime(line.atime),
          bodyTime(line.mtime),
          bodyTime(line.ctime),
          bodyTime(line.crtime),
        ])
        checkedSi++
      }
      expect(checkedSi).toBeGreaterThan(15)
      expect(checkedFn).toBeGreaterThan(15)
    })

    it('reads every file and stream with the SHA-256 of icat', async () => {
      const fs = open()
      const ours = trawlKeys(await walk(fs))
      const lines = golden(`${image.name}.sha256.txt`).split('\n').filter(Boolean)
      expect(lines.length).toBeGreaterThan(10)
      for (const line of lines) {
        const m = /^([0-9a-f]{64}) {2}(\d+)-128-\d+\t(.*)$/.exec(line)
        expect(m, line).not.toBeNull()
        const [, sha, entryNo, path] = m!
        const found = ours.get(`${entryNo}\t${path}`)
        expect(found, path).toBeDefined()
        if (path === '$BadClus:$Bad') {
          // icat writes nothing for this all-sparse stream; its content is the stream's size in zeros
          expect(found!.stream).toBe('$Bad')
          continue
        }
        expect(await sha256Of(fs, found!.entry.path, found!.stream), path).toBe(sha)
      }
    })

    it('lists the deleted entries fls -d finds, flagged deleted', async () => {
      const fs = open()
      const entries = await walk(fs, '', true)
      const ours = new Set([...trawlKeys(entries.filter((e) => e.deleted))].map(([k]) => k))
      const theirs = flsKeys(golden(`${image.name}.fls-deleted.txt`), true)
      expect([...theirs].filter((k) => !ours.has(k))).toEqual([])
      // nothing deleted shows without the option
      expect((await walk(fs)).some((e) => e.deleted)).toBe(false)
    })

    it('lists and reads the same with caches far smaller than the volume (memory bounded, not by the volume)', async () => {
      const full = await walk(open(), '', true)
      // every walked directory and path lookup falls out of the caches and is resolved again
      const tiny = new NtfsFileSystem(new MemoryByteSource(fixtureImage(image.name)), {directories: 1, lookupNames: 1})
      expect(await walk(tiny, '', true)).toEqual(full)
      const files = full.filter((e) => e.kind === 'file' && !e.deleted && !e.path.startsWith('$'))
      for (const entry of files.slice(0, 40)) {
        expect(await tiny.stat(entry.path.toUpperCase())).toEqual(entry)
        expect(await sha256Of(tiny, entry.path)).toBe(await sha256Of(open(), entry.path))
      }
    })
  })
}
