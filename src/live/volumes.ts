/**
 * The volumes `trawl collect --live` reads when no `--source` is given: on Windows every fixed
 * NTFS volume with a drive letter, each read raw (`\\.\C:`), so that locked files are collected.
 *
 * Listed by one read-only query, run like the network commands (commands.ts): PowerShell by its
 * absolute path under %SystemRoot%, no shell, a timeout. Win32_LogicalDisk is asked because its
 * answer is the same in every Windows language: DeviceID `C:`, DriveType a number (3 = local
 * disk; 2 removable, 4 network, 5 optical, 6 RAM disk: Microsoft, "Win32_LogicalDisk class"),
 * FileSystem the driver's own name (`NTFS`). `fsutil fsinfo drivetype` words its answer in the
 * machine's language, which is why it is not used. No double quotes in the script: execFile
 * passes it as one argument, and nothing needs escaping. Get-CimInstance needs PowerShell 3
 * (Windows 8 / Server 2012 and later; Windows 7 with WMF 3).
 *
 * Not collected, and said so: volumes that are not fixed, not NTFS, and the one trawl runs from
 * (the collection medium, where the bundle is written).
 */
import {win32} from 'node:path'
import {UsageError} from '../errors.js'
import {driveLetterOf} from '../image/device-path.js'
import {type CommandRunner, outputText, runWithoutShell} from './collect.js'
import {windowsSystem32} from './commands.js'

export interface LogicalDisk {
  /** Upper-case drive letter. */
  letter: string
  /** Win32_LogicalDisk.DriveType. */
  driveType: number
  /** As Windows names it ('NTFS', 'FAT32', 'ReFS'), empty when there is none (no medium). */
  fileSystem: string
}

export interface LiveVolumeList {
  /** Devices to read, `\\.\C:`, in drive-letter order. */
  devices: string[]
  /** One line per volume not collected, with why. */
  notCollected: string[]
  /** The query as run, for the manifest. */
  commandLine: string
}

export interface LiveVolumeOptions {
  platform?: NodeJS.Platform
  env?: NodeJS.ProcessEnv
  runner?: CommandRunner
  timeoutMs?: number
  /** The folder trawl runs from: its volume is the collection medium, never read as evidence. */
  medium?: string
}

const DRIVE_TYPES: Record<number, string> = {0: 'of unknown type', 1: 'without a root folder', 2: 'removable', 4: 'a network drive', 5: 'an optical drive', 6: 'a RAM disk'}

export const LOGICAL_DISK_QUERY = "Get-CimInstance -ClassName Win32_LogicalDisk | ForEach-Object { '{0}|{1}|{2}' -f $_.DeviceID, $_.DriveType, $_.FileSystem }"

/** The lines `C:|3|NTFS` the query prints; lines of any other shape are not disks (PowerShell warnings). */
export function parseLogicalDisks(text: string): LogicalDisk[] {
  const disks: LogicalDisk[] = []
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z]):\|(\d{1,2})\|([^|]*)$/.exec(line.trim())
    if (m) disks.push({letter: m[1].toUpperCase(), driveType: Number(m[2]), fileSystem: m[3].trim()})
  }
  return disks.sort((a, b) => a.letter.localeCompare(b.letter))
}

/** Which listed disks are read, and why each other one is not. */
export function chooseLiveVolumes(disks: LogicalDisk[], medium?: string): {devices: string[]; notCollected: string[]} {
  const mediumLetter = medium ? driveLetterOf(win32.resolve(medium)) : undefined
  const devices: string[] = []
  const notCollected: string[] = []
  for (const disk of disks) {
    const name = `${disk.letter}:`
    if (disk.letter === mediumLetter) notCollected.push(`${name} not collected: trawl runs from it (the collection medium)`)
    else if (disk.driveType !== 3) notCollected.push(`${name} not collected: it is ${DRIVE_TYPES[disk.driveType] ?? `of drive type ${disk.driveType}`} (name it with --source ${name} to read it)`)
    else if (disk.fileSystem.toUpperCase() !== 'NTFS') notCollected.push(`${name} not collected: its file system is ${disk.fileSystem || 'unknown'}, not NTFS (collect its folders with --source ${name}\\)`)
    else devices.push(`\\\\.\\${name}`)
  }
  return {devices, notCollected}
}

/**
 * The volumes of the running machine a live run reads without `--source`. Windows only: on
 * Linux the examiner names the block device or folder (which disk holds what is not a question
 * a triage tool should guess), so this is a usage error there.
 */
export async function listLiveVolumes(options: LiveVolumeOptions = {}): Promise<LiveVolumeList> {
  const platform = options.platform ?? process.platform
  if (platform !== 'win32') {
    throw new UsageError('--source is required here: a block device (/dev/sda1), a mounted folder or an image; only on Windows does --live pick the fixed volumes itself')
  }
  const powershell = win32.join(windowsSystem32(options.env), 'WindowsPowerShell', 'v1.0', 'powershell.exe')
  const args = ['-NoProfile', '-NonInteractive', '-Command', LOGICAL_DISK_QUERY]
  const commandLine = [powershell, ...args].join(' ')
  const result = await (options.runner ?? runWithoutShell)(powershell, args, options.timeoutMs ?? 60_000)
  const disks = parseLogicalDisks(outputText(result.stdout))
  if (result.error || result.exitCode !== 0 || disks.length === 0) {
    const why = result.error ?? (result.exitCode !== 0 ? `exit code ${result.exitCode}: ${(outputText(result.stderr).trim().split(/\r?\n/)[0] ?? '').trim()}` : 'it listed no drives')
    throw new UsageError(`cannot list this machine's volumes (${why}); name them with --source C: (one per run)`)
  }
  const chosen = chooseLiveVolumes(disks, options.medium)
  if (chosen.devices.length === 0) {
    throw new UsageError(`no fixed NTFS volume to read (${chosen.notCollected.join('; ')}); name one with --source`)
  }
  return {...chosen, commandLine}
}
