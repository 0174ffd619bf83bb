import {existsSync, realpathSync, statSync} from 'node:fs'
import {basename, dirname, isAbsolute, resolve} from 'node:path'
import {MissingParentImageError, ParentImageMismatchError} from '../errors.js'

/**
 * Finding the parent of a differencing disk (VHD, VHDX). A lab receives the files of
 * one virtual machine copied off its host, so the paths a child records (the host's
 * `C:\VMs\base.vhdx`, or `..\base.vhdx`) are tried first as written (relative ones from
 * the child's folder), then by their file name in the child's folder. The parent found is
 * then checked against the identifier the child recorded by its reader: a file that merely
 * has the right name is never used silently.
 */

/** One place a child records its parent: how it says so, and the path it gives. */
export interface ParentLocation {
  /** As the format names it: 'relative locator (W2ru)', 'relative_path', 'parent name'. */
  how: string
  path: string
}

/** A parent as `image info` shows it: what it is and how it was found. */
export interface ParentImageDescription {
  path: string
  format: string
  diskType: string
  /** VHD unique id, VHDX virtual disk id, VMDK CID; QCOW2 and raw disks have none. */
  identifier?: string
  /** QCOW2 cluster, VMDK grain size in bytes. */
  blockSize?: number
  /** Which recorded location found it, and where. */
  foundBy: string
}

/** A virtual disk (VHD, VHDX) as the evidence description and `image info` show it. */
export interface VirtualDiskDescription {
  /** 'fixed', 'dynamic' or 'differencing'. */
  diskType: string
  /** VHD unique id; VHDX virtual disk id; VMDK CID; QCOW2 has none. */
  identifier?: string
  /** Bytes per block of a dynamic or differencing disk. */
  blockSize?: number
  logicalSectorSize?: number
  physicalSectorSize?: number
  /** The program that made it, as the file records it ('qemu 5.3', 'win 10.0', 'Microsoft Windows ...'). */
  creator?: string
  /** A differencing disk's parents, nearest first, each with how it was found beside its child. */
  parents?: ParentImageDescription[]
  /** QCOW2, VMDK: the parent (backing file, parentFileNameHint) as the disk records it. */
  parentAsRecorded?: string
  /** QCOW2, VMDK: header features set ('extended L2 entries', 'compressed grains', 'dirty', ...). */
  features?: string[]
  /** VMDK: the extents of its descriptor, in disk order (every file of them is read). */
  extents?: Array<{type: string; path?: string; sectors: number; offsetSectors?: number}>
  /** QCOW2: internal snapshots (listed; the current state is what is read). */
  snapshots?: QcowSnapshotInfo[]
}

/** A QCOW2 internal snapshot as `image info` lists it. */
export interface QcowSnapshotInfo {
  id: string
  name: string
  /** When the snapshot was taken, UTC, to the nanosecond the image stores. */
  date: string
  /** Guest run time at the snapshot, nanoseconds. */
  guestRunTimeNs: number
  /** Saved VM state (RAM), bytes; 0 for a disk-only snapshot. */
  vmStateSize: number
  /** Virtual disk size of the snapshot (qcow2 v3 extra data), when stored. */
  diskSize?: number
}

/** Differencing chains deeper than this are refused as damaged (Hyper-V checkpoints rarely pass a few dozen). */
export const MAX_PARENT_DEPTH = 64

/** A Windows or POSIX path as recorded, in this machine's form (backslashes are separators in every format that records them). */
function localForm(recorded: string): string {
  return recorded.replace(/\\/g, '/')
}

/**
 * The first existing file among the locations a child records, each tried as written and
 * then by its name in the child's folder. Throws MissingParentImageError naming every path tried.
 */
export function findParentImage(childPath: string, locations: ParentLocation[]): {path: string; foundBy: string} {
  const childDir = dirname(childPath)
  const tried: string[] = []
  const attempts: Array<{path: string; foundBy: string}> = []
  for (const location of locations) {
    const recorded = localForm(location.path)
    if (recorded === '') continue
    // a drive-letter path (C:/VMs/x.vhd) is absolute on the host it was written on, not here
    const windowsAbsolute = /^[A-Za-z]:\//.test(recorded) || recorded.startsWith('//')
    if (!windowsAbsolute) attempts.push({path: isAbsolute(recorded) ? recorded : resolve(childDir, recorded), foundBy: `${location.how} ${location.path}`})
    attempts.push({path: resolve(childDir, basename(recorded)), foundBy: `name of ${location.how} ${location.path}, beside the child`})
  }
  for (const attempt of attempts) {
    if (tried.includes(attempt.path)) continue
    tried.push(attempt.path)
    if (existsSync(attempt.path) && statSync(attempt.path).isFile()) return attempt
  }
  throw new MissingParentImageError(childPath, tried.length > 0 ? tried : ['(the child records no parent location)'])
}

/**
 * The real path of `parent`, refusing a chain that comes back to a disk already in it
 * (a child naming itself, or two children naming each other) or grows past MAX_PARENT_DEPTH.
 */
export function checkChain(childPath: string, parentPath: string, chain: readonly string[]): string {
  const real = realpathSync(parentPath)
  if (chain.includes(real) || real === realpathSync(childPath)) {
    throw new ParentImageMismatchError(`${childPath}: the parent chain loops (${[...chain, real].join(' -> ')})`)
  }
  if (chain.length >= MAX_PARENT_DEPTH) throw new ParentImageMismatchError(`${childPath}: parent chain deeper than ${MAX_PARENT_DEPTH} images`)
  return real
}

/** 16 bytes as a GUID in Microsoft's mixed-endian form (first three fields little-endian), lower case. */
export function formatMixedEndianGuid(bytes: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to))
    if (reverse) part.reverse()
    return part.toString('hex')
  }
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`
}

/** 16 bytes as a GUID read in stored order (the VHD footer's unique id, as libvhdi shows it). */
export function formatStoredGuid(bytes: Buffer): string {
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}
