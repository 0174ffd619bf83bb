/**
 * Modern messengers on a Windows-like volume, from the CLI: Signal Desktop read (decrypted
 * with config.json's key, WAL applied), a safeStorage-protected Signal reported, WhatsApp
 * Desktop and Telegram Desktop files collected byte-exact and reported as the encrypted
 * stores they are, Skype 8 s4l read (fixtures/signal, fixtures/messengers, fixtures/skype8).
 */
import {execFileSync} from 'node:child_process'
import {cpSync, readFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {resealBundle} from '../helpers/bundle-edit.js'
import {loadSigner} from '../../src/bundle/keys.js'

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('modern messengers end to end from the CLI', () => {
  it('Signal messages in the bundle; its encrypted original byte-exact; WhatsApp and Telegram files reported per file', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    cpSync(join(REPO_ROOT, 'fixtures/signal/windows'), volume, {recursive: true})
    cpSync(join(REPO_ROOT, 'fixtures/messengers/windows'), volume, {recursive: true})
    cpSync(join(REPO_ROOT, 'fixtures/skype8/windows'), volume, {recursive: true})
    const bundle = join(dir, 'messengers.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'MS-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)

    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    const records = listing
      .filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))
      .flatMap((n) => execFileSync('unzip', ['-p', bundle, n], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l)))
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    const byPath = new Map<string, string>(manifest.entries.map((e: {path: string; sha256: string}) => [e.path, e.sha256]))
    const entry = (suffix: string) => [...byPath.keys()].find((p) => p.endsWith(suffix))

    // Signal: the encrypted database and its WAL kept byte-exact
    const ana = 'Users/ana/AppData/Roaming/Signal/sql/db.sqlite'
    expect(byPath.get(entry(ana)!)).toBe(sha256(join(REPO_ROOT, 'fixtures/signal/windows', ana)))
    expect(byPath.get(entry(`${ana}-wal`)!)).toBe(sha256(join(REPO_ROOT, 'fixtures/signal/windows', `${ana}-wal`)))
    const signal = records.filter((r) => r.type === 'chat.message' && r.app === 'Signal')
    expect(signal.map((m) => m.body)).toEqual(['Hi, are you the one with the job offer?', 'Yes. Contract attached.', 'Send a passport scan to the group.', 'Here it is'])
    for (const m of signal) expect(m.source).toMatchObject({file: entry(ana), table: 'messages', rowid: expect.any(Number)})
    const attachment = signal[1].attachments[0]
    expect(byPath.get(attachment.bundlePath)).toBe(attachment.sha256)
    // its plaintext, decrypted with the row's localKey, is a derived entry naming the ciphertext it came from
    const plaintext = join(REPO_ROOT, 'fixtures/signal/plaintext/contract.jpg')
    expect(attachment.decrypted).toMatchObject({sha256: sha256(plaintext), plaintextHash: 'matches'})
    const derived = manifest.entries.find((e: {path: string}) => e.path === attachment.decrypted.bundlePath)
    expect(derived).toMatchObject({kind: 'derived', sha256: sha256(plaintext), derivedFrom: {path: attachment.bundlePath, method: expect.stringContaining('localKey of message_attachments rowid 1')}})
    expect(execFileSync('unzip', ['-p', bundle, derived.path]).equals(readFileSync(plaintext))).toBe(true)
    expect(execFileSync('unzip', ['-p', bundle, 'SHA256SUMS'], {encoding: 'utf8'})).toContain(`${sha256(plaintext)}  ${derived.path}`)
    // and read as a collected picture is: its camera, GPS and PDQ hash
    const exif = records.find((r) => r.type === 'media.exif' && r.file === derived.path)
    expect(exif).toMatchObject({make: 'Canon', model: 'Canon EOS 80D', gps: {latitude: expect.closeTo(52.3702, 4), longitude: expect.closeTo(4.8952, 4)}})
    expect(exif.source.sourcePath).toBe(`Users/ana/AppData/Roaming/Signal/attachments.noindex/${attachment.path} (derived)`)
    expect(records.find((r) => r.type === 'media.phash' && r.file === derived.path)?.pdq).toMatch(/^[0-9a-f]{64}$/)
    // the damaged copy is collected, and says why it is not decrypted
    expect(signal[1].attachments[1]).toMatchObject({name: 'damaged.jpg', note: expect.stringContaining('HMAC-SHA256 does not match')})
    expect(records.find((r) => r.type === 'chat.decryption')).toMatchObject({cipher: 'SQLCipher 4', damagedPages: 0, walFramesApplied: 4})
    // ben's key is DPAPI-protected: reported, his files collected
    const ben = records.find((r) => r.type === 'chat.encrypted-store' && r.app === 'Signal')
    expect(ben).toMatchObject({user: 'ben', encrypted: true, localStateKey: 'DPAPI blob'})
    expect(entry('Users/ben/AppData/Roaming/Signal/Local State')).toBeDefined()

    // WhatsApp Desktop and Telegram Desktop: one record per file, what it is and whether encrypted
    const stores = records.filter((r) => r.type === 'chat.encrypted-store' && r.app !== 'Signal')
    const summary = stores.map((r) => [r.app, r.source.sourcePath.split('/').slice(-1)[0], r.encrypted, r.format]).sort()
    expect(summary).toEqual([
      ['Telegram Desktop', 'D877F783D5D3EF8Cs', true, 'Telegram Desktop file (TDF$, app version 5003001)'],
      ['Telegram Desktop', 'key_datas', true, 'Telegram Desktop file (TDF$, app version 5003001)'],
      ['Telegram Desktop', 'maps', true, 'Telegram Desktop file (TDF$, app version 5003001)'],
      ['Telegram Desktop', 'settingss', true, 'Telegram Desktop file (TDF$, app version 5003001)'],
      ['WhatsApp Desktop (Electron)', 'CURRENT', false, 'text'],
      ['WhatsApp Desktop', 'contacts.db', null, 'no known header (consistent with ciphertext)'],
      ['WhatsApp Desktop', 'nondb_settings16.dat', true, 'DPAPI blob'],
      ['WhatsApp Desktop', 'session.db', null, 'no known header (consistent with ciphertext)'],
      ['WhatsApp Desktop', 'transfers.db', false, 'plain SQLite database'],
    ])
    for (const store of stores) {
      expect(byPath.get(store.source.file)).toBe(store.sha256)
      expect(store.unlockWith.length).toBeGreaterThan(0)
    }
    // the rest of tdata and the LevelDB log are collected too
    expect(entry('WhatsApp/IndexedDB/file__0.indexeddb.leveldb/000003.log')).toBeDefined()
    // Skype 8 s4l: messages with their table and row
    const skype = records.filter((r) => r.type === 'chat.message' && r.app === 'Skype')
    expect(skype.map((m) => [m.sender, m.source.table, m.source.rowid])).toEqual([
      ['live:eve.recruit', 'messagesv12', 1],
      ['live:dana.example', 'messagesv12', 2],
      ['live:eve.recruit', 'messagesv12', 3],
    ])
    expect(records.some((r) => r.type === 'error' && r.parser === 'skype-s4l' && r.source.rowid === 4)).toBe(true)
    // the report names the encrypted stores
    const report = execFileSync('unzip', ['-p', bundle, 'report.html'], {encoding: 'utf8'})
    expect(report).toContain('Encrypted messenger stores')
    // the decrypted attachment is listed with the files, saying what it was made from and how
    expect(report).toContain(derived.path)
    expect(report).toContain('derived: Signal Desktop attachment v2')
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
    // a derived entry must name a copy of the bundle: one re-sealed (by the same key) to name none is refused
    const resealed = join(dir, 'derived-orphan.zip')
    const signer = loadSigner({key: keys.key, cert: keys.cert, passphrase: 'correct horse'})
    await resealBundle(bundle, resealed, signer, {manifest: (m) => void (m.entries.find((e) => e.kind === 'derived')!.derivedFrom!.path = 'files/dir/planted.jpg')})
    const orphan = await trawl(['verify', resealed, '--cert', keys.cert])
    expect(orphan.code).not.toBe(0)
    expect(orphan.stdout).toContain(`entry ${derived.path}: derived from files/dir/planted.jpg, which is not a copy in this bundle`)
  })
})
