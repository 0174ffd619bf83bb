import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {appendCustodyEvent} from '../../src/bundle/custody-log.js'
import {loadSigner} from '../../src/bundle/keys.js'
import {verifyBundle} from '../../src/bundle/verify.js'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {collect} from '../../src/collect/collect.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir} from '../helpers/cli.js'

describe('ZIP64 bundles (as written past 4 GiB)', () => {
  it('verify, append custody (patching the ZIP64 end records) and extract with unzip', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const signer = {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}
    const out = join(dir, 'zip64.zip')
    const result = await collect({source: join(REPO_ROOT, 'fixtures/sample/tree'), out, caseId: 'Z-64', examiner: 'Test Examiner', signer, targets: ['network'], forceZip64: true, allowSameVolume: true})
    expect(result.complete).toBe(true)
    const zip = BundleZip.open(out)
    // the writer puts the ZIP64 end records in when forced; per-entry ZIP64 fields only for entries near or past 4 GiB
    expect(zip.endRecords.eocd64).toBeDefined()
    expect(zip.endRecords.locator64).toBeDefined()
    zip.close()
    expect((await verifyBundle(out)).problems).toEqual([])
    await appendCustodyEvent(out, {action: 'examined', by: 'Analyst'}, loadSigner(signer))
    const report = await verifyBundle(out)
    expect(report.problems).toEqual([])
    expect(report.custody.events).toBe(2)
    execFileSync('unzip', ['-tq', out])
  })
})
