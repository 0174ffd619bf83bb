import {readFileSync} from 'node:fs'
import {expect, it} from 'vitest'
import {ExtFileSystem} from '../../src/ext/index.js'
import {formatFlsLines, walkVolume} from '../../src/image/listing.js'
import {openSource} from '../../src/source/open.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {virtualDiskGolden} from './virtual-disk-fixtures.js'

/**
 * The dfvfs ext2 image inside a QCOW2 and a VMDK of the shared test data: listed as The Sleuth
 * Kit lists the same volume. TSK reads no QCOW2, and Debian's build reads no VMDK (its
 * observed_here output for the VMDK is "Cannot determine file system type"), so the oracle is
 * `fls -r -p` of `qemu-img convert -O raw` (observed_here for the QCOW2, golden/shared for both,
 * made by fixtures/virtual-disks/shared-goldens.sh). TSK's virtual $OrphanFiles is left out.
 */

const flsLines = (text: string) => text.split('\n').filter((l) => l.includes(':\t') && !/:\t\$OrphanFiles(\/|$)/.test(l))

describeShared('ext2 inside QCOW2 and VMDK against The Sleuth Kit', () => {
  it.each([
    ['disk/qcow/dfvfs_ext2.qcow2', 'qcow_dfvfs_ext2.qcow2.fls.txt'],
    ['disk/vmdk/dfvfs_ext2.vmdk', 'vmdk_dfvfs_ext2.vmdk.fls.txt'],
  ])('%s: the same names, inodes and order as fls -r -p of its raw copy', async (image, golden) => {
    const source = await openSource(sharedFile(image))
    try {
      expect(source.volumes.map((v) => [v.id, v.description.fileSystem])).toEqual([['vol', 'ext2']])
      const fs = source.volumes[0].fs!
      expect(fs).toBeInstanceOf(ExtFileSystem)
      const ours: string[] = []
      for await (const entry of walkVolume(fs, '', {recursive: true, deleted: true})) ours.push(...formatFlsLines(entry))
      expect(ours).toEqual(flsLines(virtualDiskGolden(`shared/${golden}`)))
      expect((fs as ExtFileSystem).problems).toEqual([])
      const passwords = await fs.stat('passwords.txt')
      expect([passwords.inode, passwords.size]).toEqual(['14', 116])
    } finally {
      await source.close()
    }
  })

  it('dfvfs_ext2.qcow2 lists what observed_here shows TSK listing on its raw copy', async () => {
    const observed = readFileSync(sharedFile('observed_here/disk_qcow_dfvfs_ext2.qcow2.tsk.txt'), 'utf8')
    expect(flsLines(observed)).toEqual(flsLines(virtualDiskGolden('shared/qcow_dfvfs_ext2.qcow2.fls.txt')))
  })
})
