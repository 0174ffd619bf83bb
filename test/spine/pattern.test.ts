import {mkdirSync, writeFileSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadDefinitions, selectDefinitions} from '../../src/artifacts/definition.js'
import {matchPath, matchPattern} from '../../src/artifacts/pattern.js'
import {DirectoryFileSystem} from '../../src/fs/directory.js'
import {scratchDir} from '../helpers/cli.js'

async function paths(fs: DirectoryFileSystem, pattern: string) {
  const found: Array<{path: string; captures: Record<string, string>}> = []
  for await (const m of matchPattern(fs, pattern, () => undefined)) found.push({path: m.entry.path, captures: m.captures})
  return found.sort((a, b) => a.path.localeCompare(b.path))
}

describe('artifact path patterns', () => {
  const root = scratchDir()
  for (const p of ['USERS/Ana/AppData/Local/Google/Chrome/User Data/Default/History', 'Users/bob/AppData/Local/Google/Chrome/User Data/Profile 2/History', 'Users/bob/Pictures/a/b/c.jpg', 'Users/bob/Pictures/top.jpg']) {
    mkdirSync(join(root, p, '..'), {recursive: true})
    writeFileSync(join(root, p), p)
  }
  mkdirSync(join(root, 'Users/bob/Pictures/loop'), {recursive: true})
  symlinkSync('..', join(root, 'Users/bob/Pictures/loop/up'))
  const fs = new DirectoryFileSystem(root)

  it('matches case-insensitively and names the user and profile', async () => {
    expect(await paths(fs, 'Users/{user}/AppData/Local/Google/Chrome/User Data/{profile}/History')).toEqual([
      {path: 'USERS/Ana/AppData/Local/Google/Chrome/User Data/Default/History', captures: {user: 'Ana', profile: 'Default'}},
      {path: 'Users/bob/AppData/Local/Google/Chrome/User Data/Profile 2/History', captures: {user: 'bob', profile: 'Profile 2'}},
    ].sort((a, b) => a.path.localeCompare(b.path)))
  })

  it('descends with ** but never follows symbolic links', async () => {
    expect((await paths(fs, 'Users/{user}/Pictures/**')).map((m) => m.path)).toEqual(['Users/bob/Pictures/a/b/c.jpg', 'Users/bob/Pictures/top.jpg'])
    expect((await paths(fs, 'users/*/pictures/**/*.JPG')).map((m) => m.path)).toEqual(['Users/bob/Pictures/a/b/c.jpg', 'Users/bob/Pictures/top.jpg'])
  })

  it('matchPath agrees with the walk on a known path, ** included', async () => {
    const pattern = 'Users/{user}/AppData/Local/Google/Chrome/User Data/{profile}/History'
    for (const found of await paths(fs, pattern)) expect(matchPath(pattern, found.path)).toEqual(found.captures)
    expect(matchPath('users/{user}/pictures/**/*.JPG', 'Users/bob/Pictures/a/b/c.jpg')).toEqual({user: 'bob'})
    expect(matchPath('Users/{user}/Pictures/**', 'Users/bob/Pictures')).toBeNull()
    expect(matchPath('Users/{user}/NTUSER.DAT', 'Users/bob/sub/NTUSER.DAT')).toBeNull()
  })

  it('loads the shipped definitions, each category represented', () => {
    const all = loadDefinitions()
    expect(new Set(all.map((d) => d.category))).toEqual(new Set(['browser', 'chat', 'media', 'network', 'system']))
    expect(selectDefinitions(all, ['browser']).every((d) => d.category === 'browser')).toBe(true)
    expect(() => selectDefinitions(all, ['no-such-artifact'])).toThrow(/unknown artifact/)
  })
})
