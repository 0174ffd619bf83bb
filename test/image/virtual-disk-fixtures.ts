import {copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import type {ByteSource} from '../../src/image/byte-source.js'
import {REPO_ROOT} from '../helpers/shared.js'

/** fixtures/virtual-disks, built by its build.sh from fixtures/images/gpt.raw. */
export const VIRTUAL_DISK_FIXTURES = join(REPO_ROOT, 'fixtures/virtual-disks')

let unpacked: string | undefined

/** Unpacks every virtual-disk fixture, and gpt.raw (the base of their backing chains) beside them, once per test file. */
export function virtualDiskDir(): string {
  if (unpacked) return unpacked
  const dir = mkdtempSync(join(tmpdir(), 'trawl-vdisks-'))
  for (const name of readdirSync(VIRTUAL_DISK_FIXTURES)) {
    if (name.endsWith('.gz')) writeFileSync(join(dir, name.slice(0, -3)), gunzipSync(readFileSync(join(VIRTUAL_DISK_FIXTURES, name))))
  }
  const raw = gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/images/gpt.raw.gz')))
  writeFileSync(join(dir, 'gpt.raw'), raw)
  // the flat extent of gpt-flat.vmdk is gpt.raw byte for byte (build.sh checks it): not committed twice
  writeFileSync(join(dir, 'gpt-flat-flat.vmdk'), raw)
  unpacked = dir
  return dir
}

export function virtualDisk(name: string): string {
  return join(virtualDiskDir(), name)
}

/** A fresh folder holding copies of the named fixtures (to damage, or to leave a parent out). */
export function copiesOf(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-vdisks-bad-'))
  for (const name of names) copyFileSync(virtualDisk(name), join(dir, name))
  return dir
}

export function virtualDiskGolden(name: string): string {
  return readFileSync(join(VIRTUAL_DISK_FIXTURES, 'golden', name), 'utf8')
}

/** SHA-256 of every byte of a source, read in steps of `step` bytes (odd steps cross cluster edges). */
export function sha256OfSource(source: ByteSource, step = 1 << 20): string {
  const hash = createHash('sha256')
  for (let offset = 0; offset < source.size; offset += step) hash.update(source.read(offset, Math.min(step, source.size - offset)))
  return hash.digest('hex')
}
