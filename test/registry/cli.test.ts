import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'

// runs the built CLI (npm test builds first); skipped when dist/ is absent
const built = existsSync(join(REPO_ROOT, 'dist/commands/registry/ls.js'))
const trawl = (...args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...args], {encoding: 'utf8'})

describeShared('trawl registry ls / get (built CLI)', () => {
  it.skipIf(!built)('prints a key, a value, and one error line with the exit code of its typed error', () => {
    const ls = trawl('registry', 'ls', sharedFile('registry/plaso_regf_NTUSER.DAT'), 'Software\\Microsoft\\Internet Explorer\\TypedURLs')
    expect(ls.status).toBe(0)
    expect(ls.stdout.split('\n').slice(1, 3)).toEqual([
      '[Software\\Microsoft\\Internet Explorer\\TypedURLs]  last written 2016-10-05T09:47:50.9674171Z',
      '  url1  REG_SZ  http://www.catnews.com/',
    ])
    const get = trawl('registry', 'get', sharedFile('registry/regipy/SYSTEM'), 'ControlSet001\\Control\\ComputerName\\ComputerName', 'ComputerName')
    expect(get.stdout).toBe('ComputerName  REG_SZ  WKS-WIN732BITA\n')
    const json = JSON.parse(trawl('registry', 'get', sharedFile('registry/regipy/SYSTEM'), 'Select', '--json').stdout)
    expect(json.values.map((v: {name: string}) => v.name)).toEqual(['Current', 'Default', 'Failed', 'LastKnownGood'])
    const missing = trawl('registry', 'get', sharedFile('registry/regipy/SYSTEM'), 'No\\Such')
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('no key No\\Such in')
    const notHive = trawl('registry', 'ls', join(REPO_ROOT, 'package.json'))
    expect(notHive.status).toBe(7)
    expect(notHive.stderr).toContain('has no REGF signature')
  })
})
