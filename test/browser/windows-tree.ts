/**
 * A Windows-like volume for end-to-end browser tests: two users, Chrome with two
 * profiles, Edge, Firefox (with a WAL-only visit) and Opera's profile-less layout,
 * made of the fixtures in fixtures/browser. Returns what each History must produce.
 */
import {copyFileSync, mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {REPO_ROOT} from '../helpers/shared.js'

export interface ExpectedBrowserFile {
  /** '/'-separated path from the volume root. */
  path: string
  browser: string
  user: string
  profile: string
  visits: number
  downloads: number
  searches: number
  bookmarks: number
}

const fixture = (...parts: string[]) => join(REPO_ROOT, 'fixtures/browser', ...parts)

const LAYOUT: Array<[source: string, companions: string[], expected: ExpectedBrowserFile]> = [
  ['chrome-144/History', [], {path: 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History', browser: 'Chrome', user: 'ana', profile: 'Default', visits: 5, downloads: 2, searches: 1, bookmarks: 0}],
  ['chrome-144-wal/History', ['-wal'], {path: 'Users/ana/AppData/Local/Google/Chrome/User Data/Profile 1/History', browser: 'Chrome', user: 'ana', profile: 'Profile 1', visits: 2, downloads: 1, searches: 0, bookmarks: 0}],
  ['chromium-106/History', [], {path: 'Users/bob/AppData/Local/Microsoft/Edge/User Data/Default/History', browser: 'Edge', user: 'bob', profile: 'Default', visits: 2, downloads: 1, searches: 1, bookmarks: 0}],
  ['chromium-106/History', [], {path: 'Users/bob/AppData/Roaming/Opera Software/Opera Stable/History', browser: 'Opera', user: 'bob', profile: 'Opera Stable', visits: 2, downloads: 1, searches: 1, bookmarks: 0}],
  ['firefox-2024/places.sqlite', [], {path: 'Users/ana/AppData/Roaming/Mozilla/Firefox/Profiles/k2j3h4.default-release/places.sqlite', browser: 'Firefox', user: 'ana', profile: 'k2j3h4.default-release', visits: 4, downloads: 1, searches: 0, bookmarks: 11}],
  ['firefox-2024-wal/places.sqlite', ['-wal'], {path: 'Users/bob/AppData/Roaming/Mozilla/Firefox/Profiles/q9w8e7.default-release/places.sqlite', browser: 'Firefox', user: 'bob', profile: 'q9w8e7.default-release', visits: 2, downloads: 0, searches: 0, bookmarks: 0}],
]

/** Builds the volume in a new temporary folder (or `root`) and returns it with the expectations. */
export function buildWindowsBrowserVolume(root = mkdtempSync(join(tmpdir(), 'trawl-winvol-'))): {root: string; expected: ExpectedBrowserFile[]} {
  for (const [source, companions, expected] of LAYOUT) {
    const target = join(root, ...expected.path.split('/'))
    mkdirSync(dirname(target), {recursive: true})
    copyFileSync(fixture(source), target)
    for (const suffix of companions) copyFileSync(fixture(source) + suffix, target + suffix)
  }
  // files a browser profile also holds, which no browser definition must take
  mkdirSync(join(root, 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/Cache'), {recursive: true})
  copyFileSync(fixture('chrome-144/History'), join(root, 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/Top Sites'))
  return {root, expected: LAYOUT.map(([, , expected]) => expected)}
}
