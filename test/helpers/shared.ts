import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, it} from 'vitest'

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** ../shared/testdata beside the clone (CI puts it there); TRAWL_SHARED_DIR overrides. */
export const SHARED_DIR = process.env.TRAWL_SHARED_DIR ?? resolve(REPO_ROOT, '../shared/testdata')

export const sharedAvailable = existsSync(join(SHARED_DIR, 'INDEX.md'))

/** Absolute path of a file of the shared test data. */
export function sharedFile(relative: string): string {
  return join(SHARED_DIR, relative)
}

/**
 * A describe block that needs ../shared/testdata: skipped with a clear message when
 * it is absent, but failing when TRAWL_REQUIRE_SHARED=1 (as CI sets it).
 */
export function describeShared(name: string, body: () => void): void {
  if (sharedAvailable) {
    describe(name, body)
  } else if (process.env.TRAWL_REQUIRE_SHARED === '1') {
    describe(name, () => {
      it('needs the shared test data', () => {
        throw new Error(`TRAWL_REQUIRE_SHARED=1 but ${SHARED_DIR}/INDEX.md does not exist`)
      })
    })
  } else {
    describe.skip(`${name} (skipped: shared test data not found at ${SHARED_DIR})`, body)
  }
}
