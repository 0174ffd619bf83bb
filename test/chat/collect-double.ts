import {copyFileSync, existsSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {CollectedFile} from '../../src/parsers/types.js'

/**
 * A collectRelated test double: serves volume paths under `volumePrefix` from the local
 * folder `folder`, copying each file to a scratch folder and hashing it as collection does.
 */
export function collectFromFolder(volumePrefix: string, folder: string) {
  const requested: string[] = []
  const collected: CollectedFile[] = []
  const collectRelated = async (volumePath: string): Promise<CollectedFile | undefined> => {
    requested.push(volumePath)
    if (!volumePath.startsWith(volumePrefix)) return undefined
    const local = join(folder, volumePath.slice(volumePrefix.length))
    if (!existsSync(local) || !statSync(local).isFile()) return undefined
    const dir = mkdtempSync(join(tmpdir(), 'trawl-related-'))
    const copyPath = join(dir, 'copy')
    copyFileSync(local, copyPath)
    const data = readFileSync(copyPath)
    const file: CollectedFile = {bundlePath: `files/p1/${volumePath}`, copyPath, sourcePath: volumePath, size: data.length, sha256: createHash('sha256').update(data).digest('hex')}
    collected.push(file)
    return file
  }
  return {collectRelated, requested, collected}
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}
