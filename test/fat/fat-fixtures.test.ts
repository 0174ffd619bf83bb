import {describe, expect, it} from 'vitest'
import {FAT_LOCAL_TIME_NOTE, FatFileSystem, fatDriver} from '../../src/fat/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fatImage, golden, sha256Of, walk} from './fat-fixtures.js'

/**
 * The fixtures of fixtures/fat/build.sh (mkfs.fat, then mtools writing VFAT long names),
 * against The Sleuth Kit's fls, istat and icat run with TZ=UTC. Compared without TSK's
 * inventions: its virtual files ($MBR, $FAT1, $FAT2, $OrphanFiles) and the volume label
 * entry it lists as a file ("FAT16 (Volume Label Entry)"); trawl reports the label as the
 * volume's label instead.
 */

const images = [
  {name: 'fat12', kind: 'fat12', label: 'FAT12'},
  {name: 'fat16', kind: 'fat16', label: 'FAT16'},
  {name: 'fat32', kind: 'fat32', label: 'FAT32'},
]
const tskInvention = (path: string) => /^\$(MBR|FAT1|FAT2|OrphanFiles)(\/|$)/.test(path) || path.endsWith('(Volume Label Entry)')

function flsLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^(.)\/. (\* )?(\d+):\t(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !tskInvention(m[4]))
    .map((m) => `${m[1]} ${m[2] ?? ''}${m[3]}\t${m[4]}`)
}

/** istat's "Written/Accessed/Created" (TZ=UTC: the local time as stored) as trawl writes FAT times. */
function istatTimes(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>()
  for (const block of text.split(/^=== /m).slice(1)) {
    const [head, ...lines] = block.split('\n')
    const path = head.split('\t')[1]
    const times: Record<string, string> = {}
    for (const line of lines) {
      const m = /^(Written|Accessed|Created):\t(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/.exec(line)
      if (!m || m[2] === '0000-00-00') continue
      const key = {Written: 'modified', Accessed: 'accessed', Created: 'created'}[m[1]]!
      times[key] = key === 'accessed' ? m[2] : `${m[2]}T${m[3]}`
    }
    out.set(path, times)
  }
  return out
}

for (const image of images) {
  describe(`FAT fixture ${image.name}.img (built by fixtures/fat/build.sh)`, () => {
    const open = () => new FatFileSystem(new MemoryByteSource(fatImage(image.name)))

    it('is detected, typed by its cluster count, and reports label, serial and the local-time note', () => {
      const source = new MemoryByteSource(fatImage(image.name))
      expect(fatDriver.detect(source)).toBe(true)
      const fs = fatDriver.open(source) as FatFileSystem
      expect(fs.kind).toBe(image.kind)
      expect(fs.label).toBe(image.label)
      expect(fs.serial).toBe('2026-ABCD')
      expect(fs.notes).toEqual([FAT_LOCAL_TIME_NOTE])
      expect(golden(`${image.name}.fsstat.txt`)).toContain(`File System Type: ${image.kind.toUpperCase()}`)
    })

    it('lists the same names, entry numbers and deleted marks as fls -r -p, in the same order', async () => {
      const fs = open()
      const ours = (await walk(fs, '', true)).map((e) => `${e.kind === 'directory' ? 'd' : 'r'} ${e.deleted ? '* ' : ''}${e.inode}\t${e.path}`)
      expect(ours).toEqual(flsLines(golden(`${image.name}.fls.txt`)))
      expect(fs.problems).toEqual([])
    })

    it('gives every entry the size of istat and its local times, unconverted', async () => {
      const fs = open()
      const byPath = new Map((await walk(fs)).map((e) => [e.path, e]))
      const times = istatTimes(golden(`${image.name}.istat.txt`))
      let checked = 0
      for (const [path, expected] of times) {
        if (tskInvention(path)) continue
        // istat cannot show FAT times past 2038 (its time_t conversion fails) and prints zeros: a TSK limit, not the volume's
        if (path === 'deep/a/b/c/d/e/f/g/h/bottom.txt') {
          expect(expected).toEqual({})
          continue
        }
        const entry = byPath.get(path)
        expect(entry, path).toBeDefined()
        const ours = {...entry!.times}
        if (ours.created) ours.created = ours.created.replace(/\.\d\d$/, '') // istat shows whole seconds
        expect(ours, path).toEqual(expected)
        checked++
      }
      expect(checked).toBeGreaterThan(50)
      expect(byPath.get('HELLO.TXT')!.times.modified).toBe('2021-03-04T05:06:06')
      expect(byPath.get('deep/a/b/c/d/e/f/g/h/bottom.txt')!.times.modified).toBe('2107-12-31T23:59:58')
    })

    it('reads every file to the SHA-256 of icat', async () => {
      const fs = open()
      const lines = golden(`${image.name}.sha256.txt`).split('\n').filter(Boolean)
      let checked = 0
      for (const line of lines) {
        const [digest, path] = line.split('\t')
        if (tskInvention(path)) continue
        expect(await sha256Of(fs, path), path).toBe(digest)
        checked++
      }
      expect(checked).toBeGreaterThan(40)
    })

    it('resolves long names and 8.3 aliases case-insensitively; a deleted entry is listed, not read', async () => {
      const fs = open()
      const long = await fs.stat('documents/long name with spaces, ünïcödé and 日本語 — 2021.txt')
      expect(long.name).toBe('Long name with spaces, ünïcödé and 日本語 — 2021.txt')
      const alias = long.attributes!.find((a) => a.startsWith('short-name:'))!.slice('short-name:'.length)
      expect((await fs.stat(`Documents/${alias}`)).inode).toBe(long.inode)
      const deleted = (await fs.list('Documents', {deleted: true})).find((e) => e.deleted)!
      expect(deleted.name).toBe('deleted file.txt')
      await expect(fs.open('Documents/deleted file.txt')).rejects.toThrow(/deleted FAT entry/)
    })
  })
}
