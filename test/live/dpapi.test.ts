import {describe, expect, it} from 'vitest'
import {liveDpapi, unprotectScript} from '../../src/live/dpapi.js'
import {answering} from '../helpers/command-runner.js'


const BLOB = Buffer.from('01000000d08c9ddf0115d1118c7a00c04fc297eb0100000055b6639e', 'hex')

describe('DPAPI on the running Windows machine (collect --live --unprotect-keys)', () => {
  it('asks ProtectedData.Unprotect for the current user through PowerShell named by its absolute path, the blob the only data on the command line', async () => {
    const key = Buffer.alloc(32, 7)
    const {runner, calls} = answering(`ben|${key.toString('base64')}\r\n`)
    const result = await liveDpapi({runner, env: {SystemRoot: 'C:\\Windows'}, now: () => '2026-12-04T10:00:00.000Z'})(BLOB)
    const powershell = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'
    expect(calls).toEqual([{file: powershell, args: ['-NoProfile', '-NonInteractive', '-Command', unprotectScript(BLOB)], timeoutMs: 60_000}])
    expect(unprotectScript(BLOB)).toContain(`FromBase64String('${BLOB.toString('base64')}')`)
    expect(unprotectScript(BLOB)).toContain('DataProtectionScope]::CurrentUser')
    // one argument, nothing in it a command line would need to escape
    expect(unprotectScript(BLOB)).not.toMatch(/["`]/)
    expect(result).toEqual({plaintext: key, user: 'ben', commandLine: `${powershell} -NoProfile -NonInteractive -Command ${unprotectScript(BLOB)}`, at: '2026-12-04T10:00:00.000Z'})
  })

  it("returns Windows' refusal, the first line of its error, never a guess", async () => {
    const refused = answering('', {exitCode: 1, stderr: Buffer.from('\r\nException calling "Unprotect" with "3" argument(s): "Key not valid for use in specified state."\r\nAt line:1 char:1\r\n')})
    expect(await liveDpapi({runner: refused.runner, env: {}})(BLOB)).toMatchObject({error: 'Windows did not unprotect the DPAPI blob (exit code 1: Exception calling "Unprotect" with "3" argument(s): "Key not valid for use in specified state.")'})
    const missing = answering('', {exitCode: null, error: 'spawn C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe ENOENT'})
    expect(await liveDpapi({runner: missing.runner, env: {}})(BLOB)).toMatchObject({error: expect.stringContaining('ENOENT')})
    const silent = answering('WARNING: something\r\n')
    expect(await liveDpapi({runner: silent.runner, env: {}})(BLOB)).toMatchObject({error: 'Windows did not unprotect the DPAPI blob (PowerShell printed no answer)'})
  })
})
