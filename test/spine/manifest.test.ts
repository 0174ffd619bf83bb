import {pathToFileURL} from 'node:url'
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

  it("gives every command the flags and arguments it has (the help is answered from the manifest: src/cli/fast-start.ts)", async () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8'))
    for (const id of commandIds(join(REPO_ROOT, 'commands'))) {
      const {default: command} = (await import(pathToFileURL(join(REPO_ROOT, 'commands', `${id.split(':').join('/')}.ts`)).href)) as {default: {flags?: object; args?: object}}
      const listed = manifest.commands[id]
      expect(Object.keys(listed.flags).sort(), `${id} flags`).toEqual(Object.keys(command.flags ?? {}).sort())
      expect(Object.keys(listed.args).sort(), `${id} args`).toEqual(Object.keys(command.args ?? {}).sort())
    }
  })
})
