/**
 * Windows names for a volume or a disk read raw, as the examiner types them.
 *
 * Microsoft, "Naming Files, Paths, and Namespaces" and "CreateFile: Physical Disks and Volumes":
 * `\\.\C:` (or `\\?\C:`) opens the volume of drive C, `\\?\Volume{GUID}` a volume by its GUID
 * (mountvol lists them), `\\.\PhysicalDriveN` a whole disk; devices without a Win32 link are
 * reached through `\\?\GLOBALROOT\Device\...` (volume shadow copies as vssadmin lists them).
 * A trailing separator names the volume's root folder instead (`C:\`, `\\?\Volume{GUID}\`),
 * read through the file system as a directory, so the rule is one: no trailing separator, the
 * raw device; with one, a folder. `C:` alone is the volume, although Win32 reads it as "the
 * current directory of drive C" (that reading is never what an examiner typing `--source C:`
 * means); `C:foo` is a relative path and stays one.
 *
 * Only on Windows: on any other system these are ordinary (relative) file names.
 */

export type WindowsDeviceKind = 'volume' | 'disk'

export interface WindowsDevicePath {
  kind: WindowsDeviceKind
  /** The name opened: `\\.\C:`, `\\?\Volume{guid}`, `\\.\PhysicalDrive0`, `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3`. */
  device: string
  /** Upper-case drive letter when the volume is named by one. */
  driveLetter?: string
  /** A short name in the examiner's words: `C:`, `PhysicalDrive0`, `HarddiskVolumeShadowCopy3`, `Volume{guid}`. */
  name: string
}

/** `\\.\` or `\\?\`, either slash: the Win32 device and file namespaces. */
const NAMESPACE = /^[\\/]{2}[.?][\\/]/
const DRIVE = /^([A-Za-z]):$/
const VOLUME_GUID = /^volume\{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}$/i
const PHYSICAL_DRIVE = /^physicaldrive(\d{1,3})$/i
/** Kernel device names, with or without the GLOBALROOT\Device prefix. */
const KERNEL_VOLUME = /^(?:globalroot[\\/]device[\\/])?(harddiskvolume(shadowcopy)?)(\d{1,5})$/i

/** The Windows device `text` names, or undefined when it is a path (or not on Windows). */
export function parseWindowsDevicePath(text: string, platform: NodeJS.Platform = process.platform): WindowsDevicePath | undefined {
  if (platform !== 'win32') return undefined
  const drive = DRIVE.exec(text)
  if (drive) return volumeOfDrive(drive[1])
  const prefix = NAMESPACE.exec(text)
  if (!prefix) return undefined
  const rest = text.slice(prefix[0].length)
  const driveInNamespace = DRIVE.exec(rest)
  if (driveInNamespace) return volumeOfDrive(driveInNamespace[1])
  const guid = VOLUME_GUID.exec(rest)
  if (guid) {
    const name = `Volume{${guid[1].toLowerCase()}}`
    return {kind: 'volume', device: `\\\\?\\${name}`, name}
  }
  const disk = PHYSICAL_DRIVE.exec(rest)
  if (disk) {
    const name = `PhysicalDrive${Number(disk[1])}`
    return {kind: 'disk', device: `\\\\.\\${name}`, name}
  }
  const kernel = KERNEL_VOLUME.exec(rest)
  if (kernel) {
    const name = `${kernel[2] ? 'HarddiskVolumeShadowCopy' : 'HarddiskVolume'}${Number(kernel[3])}`
    return {kind: 'volume', device: `\\\\?\\GLOBALROOT\\Device\\${name}`, name}
  }
  return undefined
}

function volumeOfDrive(letter: string): WindowsDevicePath {
  const driveLetter = letter.toUpperCase()
  return {kind: 'volume', device: `\\\\.\\${driveLetter}:`, driveLetter, name: `${driveLetter}:`}
}

/** The upper-case drive letter of an absolute Windows path (`E:\evidence\x.zip`, `\\?\E:\x.zip` -> `E`), undefined for UNC paths. */
export function driveLetterOf(path: string): string | undefined {
  const m = /^(?:[\\/]{2}[.?][\\/])?([A-Za-z]):[\\/]/.exec(path)
  return m ? m[1].toUpperCase() : undefined
}
