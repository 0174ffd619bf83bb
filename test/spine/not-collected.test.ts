import {execFileSync} from 'node:child_process'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import {matchPattern, type PatternSkip} from '../../src/artifacts/pattern.js'
import type {NotCollected} from '../../src/bundle/manifest.js'
import {verifyBundle} from '../../src/bundle/verify.js'
import {renderCollectSummary, renderVerifyReport} from '../../src/cli/render.js'
import {collect} from '../../src/collect/collect.js'
import {FileNotFoundError} from '../../src/errors.js'
import {DirectoryFileSystem} from '../../src/fs/directory.js'
import {makeKeys, scratchDir} from '../helpers/cli.js'

/** Paths whose open() fails as if the file were deleted after the listing: what a live drive does under us. */
const vanishing = new Set<string>()

// the directory source, with its file system wrapped: listing and stat as on disk, open() failing for `vanishing`
vi.mock('../../src/source/open.js', async (original) => {
  const actual = await original<typeof import('../../src/source/open.js')>()
  const {wrappedOpenSource} = await import('../helpers/wrapped-source.js')
  return {
    ...actual,
    openSource: wrappedOpenSource(actual.openSource, (inner) => ({
      open: async (p, options) => {
        if (vanishing.has(p)) throw new FileNotFoundError(p)
        return inner.open(p, options)
      },
    })),
  }
})

describe('paths a definition names that are not regular files are listed, never dropped in silence', () => {
  const root = scratchDir()
  let server: Server
  const history = 'Users/ana/AppData/Local/Google/Chrome/User Data/Default/History'
  const waDb = 'Users/ana/Documents/phone-dump/com.whatsapp/databases/wa.db'
  const ntuser = 'Users/ana/NTUSER.DAT'
  const gone = 'Users/ana/Pictures/gone.jpg'

  beforeAll(async () => {
    mkdirSync(join(root, history, '..'), {recursive: true})
    mkdirSync(join(root, waDb, '..'), {recursive: true})
    mkdirSync(join(root, 'Users/ana/Pictures'), {recursive: true})
    mkdirSync(join(root, 'elsewhere'), {recursive: true})
    // a symlink named like Chrome's History, pointing out of the evidence
    symlinkSync('/etc/hostname', join(root, history))
    // a FIFO named like WhatsApp's wa.db: opening it would block; it must never be opened
    execFileSync('mkfifo', [join(root, waDb)])
    // a socket named like the user's registry hive
    server = createServer()
    await new Promise<void>((resolve) => server.listen(join(root, ntuser), resolve))
    // bob's AppData is a link to another folder: nothing below it is collected, and that is said
    mkdirSync(join(root, 'Users/bob'), {recursive: true})
    symlinkSync(join(root, 'elsewhere'), join(root, 'Users/bob/AppData'))
    // a picture listed, then deleted before it is opened
    writeFileSync(join(root, gone), 'JPEG that will be gone')
    vanishing.add(gone)
    // a file named like a hive that is not one; and a text file among the pictures-and-documents folders
    mkdirSync(join(root, 'Users/carol/Documents'), {recursive: true})
    writeFileSync(join(root, 'Users/carol/NTUSER.DAT'), 'not a registry hive')
    writeFileSync(join(root, 'Users/carol/Documents/notes.txt'), 'meeting at 6')
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('the pattern walk reports each to onSkip, with the link target, and yields none of them as a file', async () => {
    const fs = new DirectoryFileSystem(root)
    const skipped: PatternSkip[] = []
    const files: string[] = []
    for (const pattern of ['Users/{user}/AppData/Local/Google/Chrome/User Data/{profile}/History', 'Users/{user}/**/wa.db', 'Users/{user}/NTUSER.DAT', 'Users/{user}/AppData/Roaming/Signal/config.json']) {
      for await (const match of matchPattern(fs, pattern, () => undefined, (s) => skipped.push(s))) files.push(match.entry.path)
    }
    // the only regular file named: carol's (not a hive; the parser's content check comes later)
    expect(files).toEqual(['Users/carol/NTUSER.DAT'])
    expect(skipped.map((s) => [s.entry.path, s.entry.kind, s.whole, s.entry.linkTarget ?? s.entry.attributes?.[0]])).toEqual([
      [history, 'symlink', true, '/etc/hostname'],
      // the Chrome pattern also walks bob's folder, and meets his linked AppData on the way
      ['Users/bob/AppData', 'symlink', false, join(root, 'elsewhere')],
      [waDb, 'other', true, 'fifo'],
      [ntuser, 'other', true, 'socket'],
      ['Users/bob/AppData', 'symlink', false, join(root, 'elsewhere')],
    ])
  })

  it('collect lists them in manifest.json notCollected with kind and reason, counts them in the summary, and the vanished file too', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const out = join(dir, 'nc.zip')
    const result = await collect({source: root, out, caseId: 'NC-1', examiner: 'Test Examiner', allowSameVolume: true, signer: {key: keys.key, cert: keys.cert, passphrase: 'correct horse'}})
    expect(result.complete).toBe(true)
    const notCollected = result.manifest.notCollected
    const byPath = new Map<string, NotCollected>(notCollected.map((n) => [n.path, n]))
    expect(byPath.get(history)).toMatchObject({volume: 'dir', kind: 'symlink', linkTarget: '/etc/hostname', reason: 'symbolic link or junction to /etc/hostname: never followed', artifacts: ['chrome-history']})
    // the FIFO sits under Documents: the pictures definition (Documents/**) names it too
    expect(byPath.get(waDb)).toMatchObject({kind: 'fifo', reason: 'a FIFO (named pipe), not a regular file: nothing read from it', artifacts: ['whatsapp-android', 'user-pictures']})
    expect(byPath.get(ntuser)).toMatchObject({kind: 'socket', reason: 'a socket, not a regular file: nothing read from it', artifacts: ['registry-ntuser']})
    // one entry for bob's linked AppData, naming every definition that looks below it
    const appData = byPath.get('Users/bob/AppData')
    expect(appData).toMatchObject({kind: 'symlink', reason: expect.stringContaining('the definition needs a directory here, so nothing below it was collected')})
    expect(appData?.artifacts.length).toBeGreaterThan(5)
    expect(byPath.get('Users/carol/NTUSER.DAT')).toMatchObject({kind: 'file', reason: 'its first bytes are not what registry-ntuser reads (no signature match): a file of the same name that is something else', artifacts: ['registry-ntuser']})
    // Documents/** selects pictures by content, by design: the text file is counted, not listed
    expect(byPath.has('Users/carol/Documents/notes.txt')).toBe(false)
    expect(result.manifest.artifacts.find((a) => a.id === 'user-pictures')?.notOfThisKind).toBe(1)
    expect(byPath.get(gone)).toMatchObject({kind: 'file', reason: 'listed, then gone when opened (deleted or moved during the run)', artifacts: ['user-pictures']})
    expect(result.manifest.errors.some((e) => e.path === gone)).toBe(true)
    // nothing named was copied
    expect(result.manifest.entries.filter((e) => e.kind === 'copy')).toEqual([])
    // the manifest in the bundle says the same
    const manifest = JSON.parse(execFileSync('unzip', ['-p', out, 'manifest.json'], {encoding: 'utf8'}))
    expect(manifest.notCollected).toEqual(notCollected)

    const summary = renderCollectSummary({...result, bundleSha256: '0'.repeat(64)})
    expect(summary).toContain(`Not collected: ${notCollected.length} paths a definition names (2 file, 2 symlink, 1 fifo, 1 socket; see below and manifest.json notCollected)`)
    expect(summary).toContain(`  - dir:${history}: symbolic link or junction to /etc/hostname: never followed [chrome-history]`)
    expect(summary).toMatch(/ {2}- dir:Users\/bob\/AppData: .* \[chrome-history, chrome-beta-history, chrome-dev-history and \d+ more\]/)

    // verify: the bundle is valid (everything collected is sealed), and says what the run did not get
    const report = await verifyBundle(out, {cert: keys.cert})
    expect(report.valid).toBe(true)
    expect(report.collection).toEqual({errors: result.manifest.errors.length, notCollected: notCollected.length, incompleteReads: 0, changedDuringCopy: 0, unreadableVolumes: 0, coverageWarnings: 0})
    expect(report.warnings).toContain(`${notCollected.length} paths named by artifact definitions were not collected, each with its reason (manifest "notCollected")`)
    const verdicts = renderVerifyReport(report).split('\n').filter((l) => l.startsWith('RESULT:'))
    expect(verdicts).toHaveLength(2)
    for (const verdict of verdicts) expect(verdict).toMatch(/^RESULT: VALID\. .* The collection itself recorded gaps/)
  })
})
