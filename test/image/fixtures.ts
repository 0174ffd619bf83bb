import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {REPO_ROOT} from '../helpers/shared.js'

/** fixtures/images, built by fixtures/images/build.sh. */
export const IMAGE_FIXTURES = join(REPO_ROOT, 'fixtures/images')

let unpacked: string | undefined

/** Unpacks every committed image (*.gz) into one scratch folder, once per test file; returns the folder. */
export function imageFixtureDir(): string {
  if (unpacked) return unpacked
  const dir = mkdtempSync(join(tmpdir(), 'trawl-images-'))
  for (const name of readdirSync(IMAGE_FIXTURES)) {
    if (!name.endsWith('.gz')) continue
    writeFileSync(join(dir, name.slice(0, -3)), gunzipSync(readFileSync(join(IMAGE_FIXTURES, name))))
  }
  unpacked = dir
  return dir
}

export function imageFixture(name: string): string {
  return join(imageFixtureDir(), name)
}

/** A fresh scratch folder for a test that damages copies of the fixtures. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-images-bad-'))
  mkdirSync(dir, {recursive: true})
  return dir
}

export function golden(name: string): string {
  return readFileSync(join(IMAGE_FIXTURES, 'golden', name), 'utf8')
}

export interface MmlsRow {
  slot: string
  start: number
  end: number
  length: number
  description: string
}

/** The rows of an mmls listing: allocated partitions (slot 'ttt:eee' or 'nnn') and Meta rows. */
export function parseMmls(text: string): {partitions: MmlsRow[]; meta: MmlsRow[]} {
  const partitions: MmlsRow[] = []
  const meta: MmlsRow[] = []
  for (const line of text.split('\n')) {
    const m = /^\d{3}:\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line)
    if (!m) continue
    const row = {slot: m[1], start: Number(m[2]), end: Number(m[3]), length: Number(m[4]), description: m[5].trim()}
    if (row.slot === 'Meta') meta.push(row)
    else if (row.slot !== '-------') partitions.push(row)
  }
  return {partitions, meta}
}
