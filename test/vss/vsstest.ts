import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {openSource} from '../../src/source/open.js'
import {REPO_ROOT, sharedFile} from '../helpers/shared.js'

/** plaso's vsstest.qcow2: a 1 GiB NTFS volume 'vsstest' with two Volume Shadow Copies. */
export const VSSTEST_QCOW2 = sharedFile('disk/qcow/plaso_vsstest.qcow2')

let path: string | undefined

/**
 * The image the tests open: the qcow2 itself once trawl reads QCOW2, until then a raw
 * conversion made once with qemu-img under tmp/ (git-ignored).
 */
export async function vsstestImage(): Promise<string> {
  if (path) return path
  try {
    await (await openSource(VSSTEST_QCOW2)).close()
    path = VSSTEST_QCOW2
  } catch {
    const raw = join(REPO_ROOT, 'tmp/vss-test/vsstest.raw')
    if (!existsSync(raw)) {
      mkdirSync(join(REPO_ROOT, 'tmp/vss-test'), {recursive: true})
      execFileSync('qemu-img', ['convert', '-O', 'raw', VSSTEST_QCOW2, `${raw}.part`])
      execFileSync('mv', [`${raw}.part`, raw])
    }
    path = raw
  }
  return path
}

/** fixtures/vss/golden, written by fixtures/vss/build.sh (vshadowinfo, fls and icat on each vshadowmount'ed store). */
export function vssGolden(name: string): string {
  return readFileSync(join(REPO_ROOT, 'fixtures/vss/golden', name), 'utf8')
}

/** sha256-NAME.txt: entry, SHA-256 and path of every allocated file, by icat. */
export function goldenSums(name: string): Array<{entry: number; sha256: string; path: string}> {
  return vssGolden(`sha256-${name}.txt`)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [entry, sha256, path] = line.split('\t')
      return {entry: Number(entry), sha256: sha256!, path: path!}
    })
}
