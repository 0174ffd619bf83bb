import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it, vi} from 'vitest'
import {collect} from '../../src/collect/collect.js'
import {DirectoryFileSystem} from '../../src/fs/directory.js'
import {makeKeys, scratchDir} from '../helpers/cli.js'

/** A file deleted by the running system after its directory was read: every lstat and open of it fails with ENOENT. */
const VANISHED = '/Default/History'
const gone = (path: unknown) => String(path).endsWith(VANISHED)
const enoent = (path: unknown) => Object.assign(new Error(`ENOENT: no such file or directory, '${String(path)}'`), {code: 'ENOENT', path: String(path)})

vi.mock('node:fs', async (original) => {
  const actual = await original<typeof import('node:fs')>()
  return {
    ...actual,
    lstatSync: ((path: string, options?: object) => {
      if (gone(path)) throw enoent(path)
      return actual.lstatSync(path, options as never)
    }) as typeof actual.lstatSync,
    openSync: ((path: string, ...rest: unknown[]) => {
      if (gone(path)) throw enoent(path)
      return (actual.openSync as (...a: unknown[]) => number)(path, ...rest)
    }) as typeof actual.openSync,
  }
})
vi.mock('node:fs/promises', async (original) => {
  const actual = await original<typeof import('node:fs/promises')>()
  return {
    ...actual,
    lstat: (async (path: string, options?: object) => {
      if (gone(path)) throw enoent(path)
      return actual.lstat(path, options as never)
    }) as typeof actual.lstat,
    open: (async (path: string, ...rest: unknown[]) => {
      if (gone(path)) throw enoent(path)
      return (actual.open as (...a: unknown[]) => Promise<unknown>)(path, ...rest)
    }) as typeof actual.open,
  }
})

function tree(): string {
  const root = scratchDir()
  const profile = join(root, 'Users/ana/AppData/Local/Google/Chrome/User Data/Default')
  mkdirSync(profile, {recursive: true})
  writeFileSync(join(profile, 'History'), 'SQLite format 3\0')
  writeFileSync(join(profile, 'Bookmarks'), '{}')
  return root
}

describe('a file that vanishes between its directory listing and its lstat (a live system)', () => {
  it('is listed by its name and kind, with why its metadata could not be read', async () => {
    const fs = new DirectoryFileSystem(tree())
    const listed = await fs.list('Users/ana/AppData/Local/Google/Chrome/User Data/Default')
    expect(listed.map((e) => e.name)).toEqual(['Bookmarks', 'History'])
    expect(listed[1]).toEqual({
      path: 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History',
      name: 'History',
      kind: 'file',
      size: 0,
      times: {},
      unreadable: 'gone between the directory listing and its lstat (deleted or moved during the run)',
    })
  })

  it('collect names it among the paths not collected, with the reason, instead of leaving it out', async () => {
    const root = tree()
    const keys = await makeKeys(join(scratchDir(), 'keys'))
    const out = join(scratchDir(), 'bundle.zip')
    const result = await collect({source: root, out, caseId: 'VAN-1', examiner: 'Test Examiner', allowSameVolume: true, signer: {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}})
    expect(result.manifest.entries.some((e) => e.kind === 'copy' && e.source?.path.endsWith(VANISHED))).toBe(false)
    expect(result.manifest.notCollected).toContainEqual(
      expect.objectContaining({path: 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History', kind: 'file', artifacts: ['chrome-history'], reason: 'listed, then gone when opened (deleted or moved during the run)'}),
    )
  })
})
