import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'

function commandIds(dir: string): string[] {
  const ids: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) ids.push(...commandIds(path))
    else if (name.endsWith('.ts')) ids.push(relative(join(REPO_ROOT, 'commands'), path).replace(/\.ts$/, '').split('/').join(':'))
  }
  return ids
}

describe('oclif.manifest.json', () => {
  it('lists exactly the commands in commands/ (regenerate with npm run manifest)', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(manifest.commands).sort()).toEqual(commandIds(join(REPO_ROOT, 'commands')).sort())
  })
})
