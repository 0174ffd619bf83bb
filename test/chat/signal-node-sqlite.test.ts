/**
 * The field kit's case: trawl under the kit's Node with node:sqlite (no native addons) reads
 * Signal Desktop, whose SQLCipher pages it decrypts with node:crypto (fixtures/signal/build.sh).
 */
import {execFileSync} from 'node:child_process'
import {cpSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, runProcess, scratchDir} from '../helpers/cli.js'
import {describeKitNode} from '../helpers/kit-node.js'

describeKitNode('Signal Desktop under node:sqlite', (kitNode) => {
  it('the same four messages as under better-sqlite3, from the decrypted pages and the WAL', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    cpSync(join(REPO_ROOT, 'fixtures/signal/windows'), volume, {recursive: true})
    const bundle = join(dir, 'signal.zip')
    const args = ['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'SG-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs]
    const result = await runProcess(kitNode, [join(REPO_ROOT, 'bin/run.js'), ...args], {env: {...keys.env, TRAWL_SQLITE: 'node'}, cwd: REPO_ROOT})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const records = execFileSync('unzip', ['-p', bundle, 'parsed/signal-desktop.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
    expect(records.filter((r) => r.type === 'chat.message').map((m) => m.body)).toEqual(['Hi, are you the one with the job offer?', 'Yes. Contract attached.', 'Send a passport scan to the group.', 'Here it is'])
    expect(records.find((r) => r.type === 'chat.decryption')).toMatchObject({cipher: 'SQLCipher 4', walFramesApplied: 4, damagedPages: 0})
  })
})
