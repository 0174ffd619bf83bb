import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {basename} from 'node:path'
import {describe, it} from 'vitest'

/**
 * Loop devices: an image file attached as a block device (/dev/loopN, its partitions
 * /dev/loopNpK), so that the code reading disks and volumes in place runs against a real
 * device. Needs root and util-linux (losetup from Debian's `mount`, partx from `util-linux`).
 */

const LOSETUP = ['/usr/sbin/losetup', '/sbin/losetup'].find((p) => existsSync(p))
const PARTX = ['/usr/bin/partx', '/usr/sbin/partx', '/bin/partx'].find((p) => existsSync(p))

/** Why loop devices cannot be used here, or undefined when they can. */
export function loopUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `loop devices are Linux's (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'attaching a loop device needs root'
  if (!existsSync('/dev/loop-control')) return '/dev/loop-control is absent (no loop driver)'
  if (!LOSETUP) return 'losetup is not installed (Debian package mount)'
  if (!PARTX) return 'partx is not installed (Debian package util-linux)'
  return undefined
}

export interface LoopDevice {
  /** /dev/loopN */
  disk: string
  /** /dev/loopNp1 ..., in partition-number order (none for a bare volume). */
  partitions: string[]
  detach(): void
}

/**
 * Attaches `image` read-only (losetup -r: a write through the device would fail, so a test
 * also proves nothing opens it for writing) and makes its partitions' device nodes. The kernel
 * may lack the MBR/GPT parsers (CONFIG_MSDOS_PARTITION), so partx adds the partitions it reads.
 */
export function attachLoop(image: string): LoopDevice {
  const disk = execFileSync(LOSETUP!, ['--find', '--show', '--read-only', '--partscan', image], {encoding: 'utf8'}).trim()
  const name = basename(disk)
  const sysPartitions = () => readdirSync(`/sys/block/${name}`).filter((entry) => entry.startsWith(`${name}p`))
  try {
    if (sysPartitions().length === 0) {
      try {
        execFileSync(PARTX!, ['--add', disk], {stdio: 'ignore'})
      } catch {
        // no partition table: a bare volume
      }
    }
    const partitions = sysPartitions()
      .sort((a, b) => Number(a.slice(name.length + 1)) - Number(b.slice(name.length + 1)))
      .map((entry) => `/dev/${entry}`)
    // devtmpfs makes the nodes as the kernel adds the partitions; wait for them (a few ms)
    const wait = new Int32Array(new SharedArrayBuffer(4))
    for (let i = 0; i < 200 && !partitions.every((p) => existsSync(p)); i++) Atomics.wait(wait, 0, 0, 25)
    const missing = partitions.filter((p) => !existsSync(p))
    if (missing.length > 0) throw new Error(`partition device nodes did not appear: ${missing.join(', ')}`)
    return {disk, partitions, detach: () => execFileSync(LOSETUP!, ['--detach', disk])}
  } catch (error) {
    execFileSync(LOSETUP!, ['--detach', disk])
    throw error
  }
}

/**
 * A describe block that needs loop devices: skipped with the reason where they cannot be had
 * (not root, no loop driver), but failing when CI=true, where they must be.
 */
export function describeLoop(name: string, body: () => void): void {
  const why = loopUnavailable()
  if (!why) {
    describe(name, body)
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs loop devices', () => {
        throw new Error(`CI=true but loop devices cannot be used: ${why}`)
      })
    })
  } else {
    describe.skip(`${name} (skipped: ${why})`, body)
  }
}
