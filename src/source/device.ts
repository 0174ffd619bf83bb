import {existsSync, readFileSync, readdirSync, realpathSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {driveLetterOf} from '../image/device-path.js'
import {majorMinor} from '../image/device.js'
import type {SourceDescription} from './types.js'

/**
 * Whether an output folder lies on a disk or volume read in place, so that collection never
 * writes on the evidence it reads.
 *
 * Windows: a volume named by its drive letter holds every path on that letter. A volume named
 * by GUID or kernel name, and a whole disk (`\\.\PhysicalDrive0`), cannot be matched to drive
 * letters without a native call (IOCTL_STORAGE_GET_DEVICE_NUMBER); they are not matched, and
 * the examiner is told so in the manifest warnings (see deviceWarnings).
 *
 * Linux: the folder's file system sits on a block device (st_dev); that device, its disk when
 * it is a partition, and the devices under it (device-mapper, md: /sys/dev/block/MAJ:MIN/slaves)
 * are the ones written to. The folder is on the evidence when the device read is one of them.
 */
export function deviceOutputConflict(description: SourceDescription, directory: string): string | undefined {
  const device = description.device
  if (!device) return undefined
  if (device.kind !== 'block-device') {
    if (device.driveLetter && driveLetterOf(directory) === device.driveLetter) return `on ${device.driveLetter}:, the volume read as evidence`
    return undefined
  }
  let read: string
  let written: number
  try {
    read = majorMinor(statSync(description.path).rdev)
    written = statSync(nearestExisting(directory)).dev
  } catch {
    return undefined
  }
  return blockDevicesUnder(majorMinor(written)).has(read) ? `on ${description.path}, the device read as evidence` : undefined
}

/** A warning for a device whose volumes cannot be matched to output folders (see deviceOutputConflict). */
export function deviceWarnings(description: SourceDescription): string[] {
  const device = description.device
  if (!device || device.kind === 'block-device' || device.driveLetter) return []
  return [`${device.name}: trawl cannot tell which drive letters lie on it; the output must not be written to any of them`]
}

/** The folder itself, or the nearest of its ancestors that exists (the one a new folder is made on). */
function nearestExisting(folder: string): string {
  let path = folder
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path)
  return path
}

/** MAJ:MIN of a block device, its disk if it is a partition, and (recursively) the devices it is built on. */
function blockDevicesUnder(start: string): Set<string> {
  const found = new Set<string>()
  const pending = [start]
  while (pending.length > 0 && found.size < 256) {
    const id = pending.pop()!
    if (found.has(id)) continue
    found.add(id)
    let dir: string
    try {
      dir = realpathSync(`/sys/dev/block/${id}`)
    } catch {
      continue
    }
    const entries = safeList(dir)
    if (entries.includes('partition')) {
      const disk = readDev(join(dir, '..'))
      if (disk) pending.push(disk)
    }
    for (const slave of safeList(join(dir, 'slaves'))) {
      const dev = readDev(join(dir, 'slaves', slave))
      if (dev) pending.push(dev)
    }
  }
  return found
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function readDev(dir: string): string | undefined {
  try {
    const text = readFileSync(join(dir, 'dev'), 'utf8').trim()
    return /^\d+:\d+$/.test(text) ? text : undefined
  } catch {
    return undefined
  }
}
