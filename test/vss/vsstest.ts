import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {REPO_ROOT, sharedFile} from '../helpers/shared.js'

/** plaso's vsstest.qcow2 (QCOW2 v2, compressed clusters): a 1 GiB NTFS volume 'vsstest' with two Volume Shadow Copies. */
export const VSSTEST_QCOW2 = sharedFile('disk/qcow/plaso_vsstest.qcow2')

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
