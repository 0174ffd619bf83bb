import {readFileSync} from 'node:fs'
import {expect, it} from 'vitest'
import {ExtFileSystem} from '../../src/ext/index.js'
import {formatFlsLines, walkVolume} from '../../src/image/listing.js'
import {openSource} from '../../src/source/open.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {sha256Of} from './ext-fixtures.js'

/**
 * The ext2 images of dfvfs and plaso in ../shared/testdata, read through each container
 * trawl opens (E01, split raw), against the `fls -r -p` The Sleuth Kit printed for them
 * (observed_here/). TSK's virtual `$OrphanFiles` (and the orphan inodes it puts there) is
 * TSK's invention, not a name on the volume: those lines are left out of the comparison.
 */

const cases = [
  {image: 'disk/ewf/dfvfs_ext2.E01', observed: 'disk_ewf_dfvfs_ext2.E01.tsk.txt', volume: 'vol', command: '$ fls -r -p disk/ewf/dfvfs_ext2.E01'},
  {image: 'disk/raw/dfvfs_ext2_splitraw/ext2.splitraw.000', observed: 'disk_raw_dfvfs_ext2_splitraw_ext2.splitraw.000.tsk.txt', volume: 'vol', command: '$ fls -r -p -i raw'},
  {image: 'disk/ewf/plaso_image.E01', observed: 'disk_ewf_plaso_image.E01.tsk.txt', volume: 'vol', command: '$ fls -r -p disk/ewf/plaso_image.E01'},
  {image: 'disk/raw/dfvfs_splitraw/image.raw.000', observed: 'disk_raw_dfvfs_splitraw_image.raw.000.tsk.txt', volume: 'vol', command: '$ fls -r -p disk/raw/dfvfs_splitraw/image.raw.000'},
  {image: 'disk/ewf/plaso_split/image-split.E01', observed: 'disk_ewf_plaso_split_image-split.E01.tsk.txt', volume: 'p2', command: '$ fls -r -p -o 352'},
]

/** The lines of one fls command in an observed_here file, $OrphanFiles left out. */
function observedFls(file: string, command: string): string[] {
  const text = readFileSync(sharedFile(`observed_here/${file}`), 'utf8')
  const start = text.indexOf(command)
  if (start === -1) throw new Error(`${file}: no "${command}"`)
  const lines = text.slice(start).split('\n').slice(1)
  const end = lines.findIndex((l) => l.startsWith('$ '))
  return (end === -1 ? lines : lines.slice(0, end)).filter((l) => l.includes(':\t') && !/:\t\$OrphanFiles(\/|$)/.test(l))
}

/** fls prints the name's type then the inode's; a deleted name whose inode is 0 has no inode type ('-'). */
function flsLine(line: string): string {
  return line.replace(/^(.)\/(.) /, (_, name: string, meta: string) => `${name}/${meta === '-' ? name : meta} `)
}

describeShared('the shared ext2 images against The Sleuth Kit', () => {
  for (const c of cases) {
    it(`${c.image}: the same names, inodes and deleted marks as fls -r -p, in fls's order`, async () => {
      const source = await openSource(sharedFile(c.image))
      try {
        const volume = source.volumes.find((v) => v.id === c.volume)!
        expect(volume.fs).toBeInstanceOf(ExtFileSystem)
        const ours: string[] = []
        for await (const entry of walkVolume(volume.fs!, '', {recursive: true, deleted: true})) ours.push(...formatFlsLines(entry))
        expect(ours).toEqual(observedFls(c.observed, c.command).map(flsLine))
        expect((volume.fs as ExtFileSystem).problems).toEqual([])
      } finally {
        await source.close()
      }
    })
  }

  it('dfvfs ext2: passwords.txt and a_directory/another_file have the sizes and content dfvfs tests expect', async () => {
    const source = await openSource(sharedFile('disk/ewf/dfvfs_ext2.E01'))
    try {
      const fs = source.volumes[0].fs!
      const passwords = await fs.stat('passwords.txt')
      expect([passwords.inode, passwords.size]).toEqual(['14', 116])
      const chunks: Buffer[] = []
      for await (const chunk of await fs.open('passwords.txt')) chunks.push(chunk as Buffer)
      expect(Buffer.concat(chunks).toString().startsWith('place,user,password\nbank,joesmith,superrich\n')).toBe(true)
      expect((await fs.stat('a_directory/another_file')).size).toBe(22)
      expect((await fs.stat('a_link')).linkTarget).toBe('a_directory/another_file')
      // the same bytes through the split raw copy of the same disk
      const split = await openSource(sharedFile('disk/raw/dfvfs_ext2_splitraw/ext2.splitraw.000'))
      try {
        expect(await sha256Of(split.volumes[0].fs!, 'passwords.txt')).toBe(await sha256Of(fs, 'passwords.txt'))
      } finally {
        await split.close()
      }
    } finally {
      await source.close()
    }
  })
})
