import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The folder trawl runs from (the USB stick in the field): the package root, found from this module. */
export function installRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'artifacts'))) return dir
    dir = dirname(dir)
  }
  throw new Error('cannot find the trawl installation folder')
}

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(join(installRoot(), 'package.json'), 'utf8')) as {version: string}
  return pkg.version
}
