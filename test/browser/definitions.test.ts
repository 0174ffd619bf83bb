import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {matchPath} from '../../src/artifacts/pattern.js'
import {browserParsers} from '../../src/parsers/browser/index.js'
import {browserOwner} from '../../src/parsers/browser/owner.js'
import {parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT} from '../helpers/shared.js'

interface Definition {
  id: string
  category: string
  paths: string[]
  companions: string[]
  parser: string
  attributes: Record<string, string>
}

const definitions = parse(readFileSync(join(REPO_ROOT, 'artifacts/browser.yaml'), 'utf8')) as Definition[]

function whoMatches(path: string) {
  const hits: Array<{id: string; captures: Record<string, string>; definition: Definition}> = []
  for (const definition of definitions) {
    for (const pattern of definition.paths) {
      const captures = matchPath(pattern, path)
      if (captures) hits.push({id: definition.id, captures, definition})
    }
  }
  return hits
}

describe('artifacts/browser.yaml', () => {
  it('names only browser parsers that exist, with WAL and journal companions', () => {
    const ids = new Set(browserParsers.map((p) => p.id))
    expect([...ids].sort()).toEqual(['chromium-history', 'firefox-downloads', 'firefox-places', 'ie-webcache', 'internet-explorer-index'])
    expect(new Set(definitions.map((d) => d.id)).size).toBe(definitions.length)
    for (const definition of definitions) {
      expect(definition.category).toBe('browser')
      // WebCache's transaction logs are collected by a definition of their own, without a parser
      if (definition.id === 'ie-webcache-logs') {
        expect(definition.parser).toBeUndefined()
        continue
      }
      expect(ids.has(definition.parser)).toBe(true)
      expect(definition.attributes.browser).toBeTruthy()
      // SQLite databases come with their -wal and -journal; WebCache (ESE) has none of that kind
      expect(definition.companions ?? []).toEqual(definition.parser === 'ie-webcache' ? [] : ['-wal', '-journal'])
    }
  })

  const cases: Array<[string, string, {browser: string; user: string; profile: string}]> = [
    ['Users/ana/AppData/Local/Google/Chrome/User Data/Default/History', 'chrome-history', {browser: 'Chrome', user: 'ana', profile: 'Default'}],
    ['Users/ana/AppData/Local/Google/Chrome/User Data/Profile 3/History', 'chrome-history', {browser: 'Chrome', user: 'ana', profile: 'Profile 3'}],
    ['Users/ana/AppData/Local/Google/Chrome/User Data/Guest Profile/History', 'chrome-history', {browser: 'Chrome', user: 'ana', profile: 'Guest Profile'}],
    ['users/ANA/appdata/local/google/chrome/user data/default/history', 'chrome-history', {browser: 'Chrome', user: 'ANA', profile: 'default'}],
    ['Documents and Settings/bob/Local Settings/Application Data/Google/Chrome/User Data/Default/History', 'chrome-history', {browser: 'Chrome', user: 'bob', profile: 'Default'}],
    ['Users/ana/AppData/Local/Google/Chrome/User Data/Default/Archived History', 'chrome-history', {browser: 'Chrome', user: 'ana', profile: 'Default'}],
    ['Users/ana/AppData/Local/Google/Chrome SxS/User Data/Default/History', 'chrome-canary-history', {browser: 'Chrome Canary', user: 'ana', profile: 'Default'}],
    ['Users/bob/AppData/Local/Microsoft/Edge/User Data/Profile 1/History', 'edge-history', {browser: 'Edge', user: 'bob', profile: 'Profile 1'}],
    ['Users/bob/AppData/Local/BraveSoftware/Brave-Browser/User Data/Default/History', 'brave-history', {browser: 'Brave', user: 'bob', profile: 'Default'}],
    ['Users/bob/AppData/Local/Vivaldi/User Data/Default/History', 'vivaldi-history', {browser: 'Vivaldi', user: 'bob', profile: 'Default'}],
    ['Users/ana/AppData/Roaming/Opera Software/Opera Stable/History', 'opera-history', {browser: 'Opera', user: 'ana', profile: 'Opera Stable'}],
    ['Users/ana/AppData/Roaming/Opera Software/Opera Stable/Default/History', 'opera-history', {browser: 'Opera', user: 'ana', profile: 'Default'}],
    ['Users/ana/AppData/Roaming/Opera Software/Opera GX Stable/History', 'opera-gx-history', {browser: 'Opera GX', user: 'ana', profile: 'Opera GX Stable'}],
    ['Users/ana/AppData/Roaming/Mozilla/Firefox/Profiles/x1y2z3.default-release/places.sqlite', 'firefox-places', {browser: 'Firefox', user: 'ana', profile: 'x1y2z3.default-release'}],
    ['Users/ana/AppData/Local/Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Roaming/Mozilla/Firefox/Profiles/abc.default/places.sqlite', 'firefox-places', {browser: 'Firefox', user: 'ana', profile: 'abc.default'}],
    ['Users/ana/AppData/Roaming/Mozilla/Firefox/Profiles/old.default/downloads.sqlite', 'firefox-downloads', {browser: 'Firefox', user: 'ana', profile: 'old.default'}],
  ]
  for (const [path, id, owner] of cases) {
    it(`${path} is ${id} and its records say ${owner.browser}, ${owner.user}, ${owner.profile}`, () => {
      const hits = whoMatches(path)
      expect(hits.map((h) => h.id)).toEqual([id])
      const input = parserInputFor(join(REPO_ROOT, 'fixtures/browser/chrome-144/History'), {captures: hits[0].captures, attributes: hits[0].definition.attributes})
      expect(browserOwner(input)).toEqual(owner)
    })
  }

  it('does not take other files of a profile (Cookies, History-journal, Top Sites)', () => {
    for (const path of [
      'Users/ana/AppData/Local/Google/Chrome/User Data/Default/Cookies',
      'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History-journal',
      'Users/ana/AppData/Local/Google/Chrome/User Data/Default/Top Sites',
      'Users/ana/AppData/Roaming/Mozilla/Firefox/Profiles/x.default/cookies.sqlite',
    ]) {
      expect(whoMatches(path)).toEqual([])
    }
  })
})
