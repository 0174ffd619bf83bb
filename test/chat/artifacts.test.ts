import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {parse} from 'yaml'
import {chatFileReporters, chatParsers} from '../../src/parsers/chat/index.js'
import {REPO_ROOT} from '../helpers/shared.js'

it('every chat artifact names a chat parser, and every chat parser is used by a definition', () => {
  const definitions = parse(readFileSync(join(REPO_ROOT, 'artifacts/chat.yaml'), 'utf8')) as Array<{id: string; category: string; parser?: string; paths: string[]}>
  const ids = new Set([...chatParsers, ...chatFileReporters].map((p) => p.id))
  expect(new Set(definitions.map((d) => d.id)).size).toBe(definitions.length)
  for (const d of definitions) {
    expect(d.category).toBe('chat')
    if (d.parser !== undefined) expect(ids.has(d.parser), `${d.id} -> ${d.parser}`).toBe(true)
    for (const path of d.paths) expect(path.startsWith('/') || path.split('/').includes('..')).toBe(false)
  }
  expect(new Set(definitions.map((d) => d.parser).filter((p) => p !== undefined))).toEqual(ids)
})
