import {existsSync, realpathSync} from 'node:fs'
import {stat} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {SourceNotFoundError, TrawlError, UnsupportedFormatError, errorMessage} from '../errors.js'
import {parseWindowsDevicePath} from '../image/device-path.js'
import {directoryOpener} from './directory.js'
import {imageOpener, openImageSource} from './image.js'
import type {EvidenceSource, EvidenceVolume, OpenOptions, SourceDescription, SourceOpener} from './types.js'

/**
 * Source openers, tried in order. A new image format adds its opener here;
 * each detects its own format by content.
 */
const openers: SourceOpener[] = [directoryOpener, imageOpener]

/**
 * Opens `path` as an evidence source: a folder, an image, a block device, or on Windows a
 * volume or disk read in place (`C:`, `\\.\C:`, `\\.\PhysicalDrive0`; see image/device-path.ts).
 * `C:\` with its trailing separator is the folder, read through the file system.
 */
export async function openSource(path: string, options: OpenOptions = {}): Promise<EvidenceSource> {
  // stat('C:') on Windows sees the current folder of drive C, and a device has no stat to trust
  if (parseWindowsDevicePath(path)) return openImageSource(path, options)
  try {
    await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SourceNotFoundError(path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${errorMessage(error)})`)
  }
  for (const opener of openers) {
    if (await opener.detect(path)) return opener.open(path, options)
  }
  throw new UnsupportedFormatError(`${path}: not a directory or a disk image format trawl reads`)
}

export interface SourceListOptions extends OpenOptions {
  /** Volumes of the machine left out, each with why: they go into the warnings, so the manifest accounts for them. */
  notCollected?: string[]
  /** How the list was made (the command run), for the manifest. */
  listedBy?: string
}

/**
 * Several sources read as one: the fixed volumes of a live machine. Each volume keeps the id
 * its own source gives it (a drive letter: `C`, `D`), made unique with the source's number
 * where two would clash, and names the device it was read from. A source that cannot be
 * opened stays listed as a volume not read, with why, and the others are read; when none can
 * be opened, the first one's error is thrown.
 */
export async function openSources(paths: string[], options: SourceListOptions = {}): Promise<EvidenceSource> {
  const opened: EvidenceSource[] = []
  const volumes: EvidenceVolume[] = []
  const descriptions: SourceDescription[] = []
  const warnings: string[] = [...(options.notCollected ?? [])]
  const used = new Set<string>()
  let firstError: TrawlError | undefined
  const claim = (id: string, index: number): string => {
    const unique = used.has(id) ? `${index + 1}-${id}` : id
    used.add(unique)
    return unique
  }
  try {
    for (const [index, path] of paths.entries()) {
      const device = parseWindowsDevicePath(path)
      let source: EvidenceSource
      try {
        source = await openSource(path, options)
      } catch (error) {
        if (!(error instanceof TrawlError)) throw error
        firstError ??= error
        const id = claim(device?.driveLetter ?? `s${index + 1}`, index)
        volumes.push({id, description: {scheme: 'none', device: path}, unreadable: `cannot be opened: ${error.message}`})
        descriptions.push({kind: 'image', path})
        continue
      }
      opened.push(source)
      descriptions.push(source.description)
      const name = source.description.device?.name ?? path
      for (const warning of source.warnings ?? []) warnings.push(`${name}: ${warning}`)
      for (const volume of source.volumes) {
        volumes.push({...volume, id: claim(volume.id, index), description: {...volume.description, device: source.description.path}})
      }
    }
  } catch (error) {
    for (const source of opened) await source.close()
    throw error
  }
  // none of them (not elevated, say): nothing to collect, so it fails before anything is written
  if (opened.length === 0 && firstError) throw firstError
  return {
    description: {
      kind: 'live',
      path: descriptions.map((d) => d.device?.name ?? d.path).join(', '),
      sources: descriptions,
      ...(options.listedBy ? {metadata: {volumesListedBy: options.listedBy}} : {}),
    },
    volumes,
    warnings,
    outputConflict: (directory) => firstAnswer(opened, (source) => source.outputConflict?.(directory)),
    sharedFileSystem: (directory) => firstAnswer(opened, (source) => source.sharedFileSystem?.(directory)),
    async close() {
      for (const source of opened) await source.close()
    },
  }
}

/**
 * Why an output folder would lie on the evidence (see EvidenceSource.outputConflict), asked
 * before the folder is made: of a folder yet to be made, the real path it will have (its
 * nearest existing ancestor, real, and the rest of its path).
 */
export function outputConflictOf(source: EvidenceSource, folder: string): string | undefined {
  if (!source.outputConflict) return undefined
  const {existing, missing} = nearestExisting(folder)
  return source.outputConflict(join(existing, ...missing))
}

/**
 * Why an output folder would share a directory source's file system (see
 * EvidenceSource.sharedFileSystem), asked before the folder is made: of the nearest
 * existing ancestor, which is the file system the folder will be made on.
 */
export function sharedFileSystemOf(source: EvidenceSource, folder: string): string | undefined {
  return source.sharedFileSystem?.(nearestExisting(folder).existing)
}

/** The real path of `folder`'s nearest existing ancestor (or itself), and the names below it still to be made. */
function nearestExisting(folder: string): {existing: string; missing: string[]} {
  const missing: string[] = []
  let existing = resolve(folder)
  while (!existsSync(existing) && dirname(existing) !== existing) {
    missing.unshift(basename(existing))
    existing = dirname(existing)
  }
  return {existing: realpathSync(existing), missing}
}

/** The first answer any of several opened sources gives. */
function firstAnswer(sources: EvidenceSource[], ask: (source: EvidenceSource) => string | undefined): string | undefined {
  for (const source of sources) {
    const answer = ask(source)
    if (answer) return answer
  }
  return undefined
}
