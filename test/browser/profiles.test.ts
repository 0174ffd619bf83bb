import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {matchPath} from '../../src/artifacts/pattern.js'
import {browserParsers} from '../../src/parsers/browser/index.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {buildWindowsBrowserVolume} from './windows-tree.js'

interface Definition {
  id: string
  paths: string[]
  parser: string
  attributes: Record<string, string>
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) yield* walk(full)
    else yield full
  }
}

describe('a Windows-like volume with two users, Chrome with two profiles, Edge, Opera and Firefox', () => {
  it('attributes every record to the right browser, user and profile, WAL-only rows included', async () => {
    const definitions = parse(readFileSync(join(REPO_ROOT, 'artifacts/browser.yaml'), 'utf8')) as Definition[]
    const {root, expected} = buildWindowsBrowserVolume()
    const found: Array<Record<string, unknown> & {path: string}> = []
    for (const file of walk(root)) {
      const path = relative(root, file).split(sep).join('/')
      for (const definition of definitions) {
        for (const pattern of definition.paths) {
          const captures = matchPath(pattern, path)
          if (!captures) continue
          const parser = browserParsers.find((p) => p.id === definition.parser)
          if (!parser) throw new Error(`no parser ${definition.parser}`)
          const records = await parseAll(parser, parserInputFor(file, {captures, attributes: definition.attributes, sourcePath: path}))
          expect(records.filter((r) => r.type === 'error')).toEqual([])
          const owners = new Set(records.map((r) => `${r.browser}|${r.user}|${r.profile}`))
          expect(owners.size).toBe(1)
          const [browser, user, profile] = [...owners][0].split('|')
          const count = (type: string) => records.filter((r) => r.type === type).length
          found.push({path, browser, user, profile, visits: count('browser.visit'), downloads: count('browser.download'), searches: count('browser.search'), bookmarks: count('browser.bookmark')})
          for (const record of records) expect(record.source.sourcePath).toBe(path)
        }
      }
    }
    const byPath = (a: {path: unknown}, b: {path: unknown}) => String(a.path).localeCompare(String(b.path))
    expect(found.sort(byPath)).toEqual([...expected].sort(byPath))
  })
})
