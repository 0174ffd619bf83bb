import {copyFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it, vi} from 'vitest'
import {collect} from '../../src/collect/collect.js'
import {CorruptImageError} from '../../src/errors.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir} from '../helpers/cli.js'

const SYSTEM = 'Windows/System32/config/SYSTEM'

// the directory source, with stat() of the SYSTEM hive failing as a damaged record fails on an image
vi.mock('../../src/source/open.js', async (original) => {
  const actual = await original<typeof import('../../src/source/open.js')>()
  const {wrappedOpenSource} = await import('../helpers/wrapped-source.js')
  return {
    ...actual,
    openSource: wrappedOpenSource(actual.openSource, (inner) => ({
      stat: async (p) => {
        if (p === SYSTEM) throw new CorruptImageError('MFT record 4711: update sequence mismatch in sector 1 (bad fix-up)')
        return inner.stat(p)
      },
    })),
  }
})

describe('a file a parser asks for beside the one it reads (collectRelated) that cannot be read', () => {
  it('is named among the paths not collected and the errors, with why; not taken for absent', async () => {
    const root = scratchDir()
    mkdirSync(join(root, 'Windows/System32/config'), {recursive: true})
    copyFileSync(join(REPO_ROOT, 'fixtures/network/SOFTWARE'), join(root, 'Windows/System32/config/SOFTWARE'))
    const keys = await makeKeys(join(scratchDir(), 'keys'))
    const out = join(scratchDir(), 'bundle.zip')
    const result = await collect({source: root, out, caseId: 'REL-1', examiner: 'Test Examiner', allowSameVolume: true, targets: ['registry-software'], signer: {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}})
    expect(result.manifest.notCollected).toContainEqual(
      expect.objectContaining({path: SYSTEM, kind: 'file', reason: 'referred to by Windows/System32/config/SOFTWARE: unreadable: MFT record 4711: update sequence mismatch in sector 1 (bad fix-up)'}),
    )
    expect(result.manifest.errors).toContainEqual(expect.objectContaining({path: SYSTEM, message: expect.stringMatching(/^cannot read Windows\/System32\/config\/SYSTEM \(referred to by Windows\/System32\/config\/SOFTWARE\): MFT record 4711/)}))
  })
})
