import {createHash} from 'node:crypto'
import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {decryptSignalAttachment} from '../../src/parsers/chat/signal-attachment.js'
import {signalDesktopParser} from '../../src/parsers/chat/signal-desktop.js'
import type {DerivedFile} from '../../src/parsers/types.js'
import {coverageWarnings} from '../../src/parsers/coverage.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {collectFromFolder, sha256Of} from './collect-double.js'

const WINDOWS = join(REPO_ROOT, 'fixtures/signal/windows')
const ANA = 'Users/ana/AppData/Roaming/Signal'
const BEN = 'Users/ben/AppData/Roaming/Signal'

function inputFor(signalDir: string, file = join(WINDOWS, signalDir, 'sql/db.sqlite')) {
  const related = collectFromFolder('', WINDOWS)
  const input = parserInputFor(file, {sourcePath: `${signalDir}/sql/db.sqlite`, bundlePath: `files/p1/${signalDir}/sql/db.sqlite`, captures: {user: signalDir.split('/')[1]}, collectRelated: related.collectRelated})
  return {input, related}
}

/** The golden dump's INSERT rows of one table (what SQLCipher itself holds). */
function goldenRows(table: string): string[] {
  return readFileSync(join(REPO_ROOT, 'fixtures/signal/golden/ana-dump.sql'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`INSERT INTO ${table} VALUES(`))
}

describe('Signal Desktop db.sqlite (fixtures/signal/build.sh, SQLCipher 4.9.0, schema 1360)', () => {
  it('decrypts with the key of config.json and yields one record per conversation and message of the SQLCipher dump, WAL included', async () => {
    const {input} = inputFor(ANA)
    const records = await parseAll(signalDesktopParser, input)
    const decryption = records.find((r) => r.type === 'chat.decryption')
    expect(decryption).toMatchObject({cipher: 'SQLCipher 4', pageSize: 4096, damagedPages: 0, walFramesIgnored: 0})
    expect(records.filter((r) => r.type === 'error')).toEqual([])
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(goldenRows('conversations').length)
    const messages = records.filter((r) => r.type === 'chat.message')
    const events = records.filter((r) => r.type === 'chat.event')
    expect(messages.length + events.length).toBe(goldenRows('messages').length)
    expect(events.map((e) => e.eventType)).toEqual(['group-v2-change'])
    expect(messages[0]).toMatchObject({
      app: 'Signal',
      account: '+15551230000',
      conversation: '+15557654321',
      direction: 'incoming',
      sender: '+15557654321',
      recipients: ['+15551230000'],
      body: 'Hi, are you the one with the job offer?',
      sentAt: '2024-03-05T10:15:30.123Z',
      receivedAt: '2024-03-05T10:15:31.456Z',
      source: {file: `files/p1/${ANA}/sql/db.sqlite`, sourcePath: `${ANA}/sql/db.sqlite`, table: 'messages', rowid: 1},
    })
    expect(messages[1]).toMatchObject({direction: 'outgoing', sender: '+15551230000', recipients: ['+15557654321'], quote: {sentAt: '2024-03-05T10:15:30.123Z', author: '+15557654321', text: 'Hi, are you the one with the job offer?'}})
    // the newest messages are only in the WAL
    expect(messages.map((m) => m.body)).toContain('Send a passport scan to the group.')
    const group = messages.find((m) => m.body === 'Here it is')
    expect(group).toMatchObject({conversation: 'Job offers', sender: '+15551230000', recipients: ['+15557654321']})
  })

  it('collects the attachments from attachments.noindex byte-exact, decrypts those with a localKey into derived files, says why the others are not, and names the one that is missing', async () => {
    const {input} = inputFor(ANA)
    const derived: DerivedFile[] = []
    input.addDerived = async (file) => {
      derived.push(file)
      return {bundlePath: `derived/${file.from.replace(/^files\//, '')}${file.suffix}`, copyPath: '/nonexistent', sourcePath: file.from, size: file.data.length, sha256: createHash('sha256').update(file.data).digest('hex')}
    }
    const messages = (await parseAll(signalDesktopParser, input)).filter((r) => r.type === 'chat.message')
    const contract = messages.find((m) => m.body === 'Yes. Contract attached.')!.attachments as Record<string, unknown>[]
    const path = '3f/3f9c0a4be1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6'
    const damaged = 'c7/c70e9f2d4b6a8c1e3f5a7b9d0c2e4f6a8b1d3f5e7a9c0b2d4f6e8a1c3b5d7f9e'
    const plaintext = readFileSync(join(REPO_ROOT, 'fixtures/signal/plaintext/contract.jpg'))
    const bundlePath = `files/p1/${ANA}/attachments.noindex/${path}`
    expect(contract).toEqual([
      expect.objectContaining({
        name: 'contract.jpg', path, mimeType: 'image/jpeg', size: plaintext.length, attachmentType: 'attachment', encrypted: true, bundlePath, sha256: sha256Of(join(WINDOWS, ANA, 'attachments.noindex', path)),
        decrypted: {bundlePath: `derived/p1/${ANA}/attachments.noindex/${path}.decrypted.jpg`, sha256: createHash('sha256').update(plaintext).digest('hex'), size: plaintext.length, plaintextHash: 'matches'},
      }),
      expect.objectContaining({name: 'damaged.jpg', path: damaged, encrypted: true, note: expect.stringMatching(/not decrypted: the HMAC-SHA256 does not match under the localKey/)}),
    ])
    expect(contract[1].decrypted).toBeUndefined()
    // the plaintext handed to the bundle is the picture byte for byte, with how it was made
    expect(derived).toHaveLength(1)
    expect(derived[0]).toMatchObject({from: bundlePath, suffix: '.decrypted.jpg', method: expect.stringMatching(/AES-256-CBC .* HMAC-SHA256 \(checked\) .* localKey of message_attachments rowid 1 of Users\/ana\/AppData\/Roaming\/Signal\/sql\/db.sqlite, cut to its size 3650; plaintextHash matches/)})
    expect(derived[0].data.equals(plaintext)).toBe(true)
    const fromJson = messages.find((m) => m.body === 'Here it is')!.attachments as Record<string, unknown>[]
    expect(fromJson.map((a) => [a.name, a.encrypted, a.bundlePath !== null, a.missing ?? false])).toEqual([
      ['passport.pdf', true, true, false],
      ['gone.jpg', false, false, true],
    ])
    expect(fromJson[0].note).toMatch(/not decrypted: the localKey is 9 bytes, not 64/)
  })

  it('decrypts only what Signal encrypted: a truncated file, a wrong size and a plaintextHash that differs are each said', () => {
    const file = readFileSync(join(WINDOWS, ANA, 'attachments.noindex/3f/3f9c0a4be1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6'))
    const key = createHash('sha512').update('trawl Signal Desktop fixture attachment key').digest().toString('base64')
    const plaintext = readFileSync(join(REPO_ROOT, 'fixtures/signal/plaintext/contract.jpg'))
    const hash = createHash('sha256').update(plaintext).digest('hex')
    const whole = decryptSignalAttachment(file, key, plaintext.length, hash)
    expect('plaintext' in whole && whole.plaintext.equals(plaintext) && whole.plaintextHash).toBe('matches')
    expect(decryptSignalAttachment(file.subarray(0, file.length - 7), key, plaintext.length, hash)).toEqual({notDecrypted: expect.stringMatching(/not IV \+ whole AES blocks \+ HMAC/)})
    expect(decryptSignalAttachment(file, key, 1_000_000, hash)).toEqual({notDecrypted: expect.stringMatching(/more than the \d+ bytes the file decrypts to/)})
    expect(decryptSignalAttachment(file, key, null, hash)).toEqual({notDecrypted: expect.stringMatching(/records no size/)})
    const other = decryptSignalAttachment(file, key, plaintext.length, '00'.repeat(32))
    expect('plaintext' in other && other.plaintextHash).toBe('differs')
    const wrongKey = Buffer.from(key, 'base64')
    wrongKey[40] ^= 1
    expect(decryptSignalAttachment(file, wrongKey.toString('base64'), plaintext.length, hash)).toEqual({notDecrypted: expect.stringMatching(/HMAC-SHA256 does not match/)})
  })

  it('accounts for every row of the four tables it reads and lists the others', async () => {
    const {input} = inputFor(ANA)
    await parseAll(signalDesktopParser, input)
    const account = input.coverage[0]
    expect(account.tables.filter((t) => t.known).map((t) => [t.table, t.rows, t.parsed, t.unexplained])).toEqual([
      ['items', 3, 2, 0],
      ['conversations', 3, 3, 0],
      ['messages', 5, 5, 0],
      ['message_attachments', 2, 2, 0],
    ])
    expect(coverageWarnings(account)).toEqual([])
  })

  it('a wrong key in config.json: one clear error, nothing pretended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-signal-test-'))
    const related = collectFromFolder('', WINDOWS)
    const input = parserInputFor(join(WINDOWS, ANA, 'sql/db.sqlite'), {
      sourcePath: `${ANA}/sql/db.sqlite`,
      collectRelated: async (path) => {
        const file = await related.collectRelated(path)
        if (file && path.endsWith('config.json')) {
          const wrong = join(dir, 'config.json')
          writeFileSync(wrong, JSON.stringify({key: '00'.repeat(32)}))
          return {...file, copyPath: wrong}
        }
        return file
      },
    })
    await expect(parseAll(signalDesktopParser, input)).rejects.toThrow(/the key in config.json does not open this database .*page 1 fails its HMAC/)
  })

  it('a damaged page: reported as an error record with its offset, the rest of the database read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-signal-test-'))
    const file = join(dir, 'db.sqlite')
    copyFileSync(join(WINDOWS, ANA, 'sql/db.sqlite'), file)
    copyFileSync(join(WINDOWS, ANA, 'sql/db.sqlite-wal'), `${file}-wal`)
    const bytes = readFileSync(file)
    const lastPage = bytes.length / 4096
    bytes[(lastPage - 1) * 4096 + 10] ^= 0x80
    writeFileSync(file, bytes)
    const {input} = inputFor(ANA, file)
    const records: Record<string, unknown>[] = []
    let failure: unknown
    try {
      for await (const record of signalDesktopParser.parse(input)) records.push(record)
    } catch (error) {
      failure = error
    }
    expect(records[0]).toMatchObject({type: 'chat.decryption', damagedPages: 1, pagesDecrypted: lastPage - 1})
    expect(records[1]).toMatchObject({type: 'error', source: {offset: (lastPage - 1) * 4096}, error: expect.stringMatching(new RegExp(`^page ${lastPage} not decrypted: HMAC check failed`))})
    expect(failure).toBeUndefined()
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(3)
  })

  it('a key kept by Electron safeStorage: reported as DPAPI-protected with the files that would unlock it, key files collected, no failure', async () => {
    const {input, related} = inputFor(BEN)
    const records = await parseAll(signalDesktopParser, input)
    expect(records).toEqual([
      expect.objectContaining({
        type: 'chat.encrypted-store',
        app: 'Signal',
        user: 'ben',
        encrypted: true,
        localStateKey: 'DPAPI blob',
        keyProtection: expect.stringMatching(/safeStorage.*version prefix v10.*DPAPI-protected/),
        unlockWith: expect.arrayContaining([`${BEN}/Local State (os_crypt.encrypted_key)`, expect.stringMatching(/Microsoft\/Protect/)]),
        collected: [`files/p1/${BEN}/sql/db.sqlite`, `files/p1/${BEN}/config.json`, `files/p1/${BEN}/Local State`],
      }),
    ])
    expect(related.requested).toEqual([`${BEN}/config.json`, `${BEN}/Local State`])
  })
})
