/**
 * A damaged page in the middle of Signal's database: the table on it is reported as read
 * only in part, every other table still becomes records (fixtures/signal/build.sh).
 */
import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {signalDesktopParser} from '../../src/parsers/chat/signal-desktop.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {collectFromFolder} from './collect-double.js'

const WINDOWS = join(REPO_ROOT, 'fixtures/signal/windows')
const ANA = 'Users/ana/AppData/Roaming/Signal'
// page 7 is the message_attachments leaf of the fixture (dbstat on the plain copy), which the WAL does not rewrite
const ATTACHMENTS_PAGE = 7

describe('Signal Desktop db.sqlite with a damaged message_attachments page', () => {
  it('names the page and the table it broke; conversations and messages are all read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-signal-damaged-'))
    const file = join(dir, 'db.sqlite')
    copyFileSync(join(WINDOWS, ANA, 'sql/db.sqlite'), file)
    copyFileSync(join(WINDOWS, ANA, 'sql/db.sqlite-wal'), `${file}-wal`)
    const bytes = readFileSync(file)
    bytes[(ATTACHMENTS_PAGE - 1) * 4096 + 100] ^= 0x01
    writeFileSync(file, bytes)
    const related = collectFromFolder('', WINDOWS)
    const input = parserInputFor(file, {sourcePath: `${ANA}/sql/db.sqlite`, bundlePath: `files/p1/${ANA}/sql/db.sqlite`, collectRelated: related.collectRelated})
    const records = await parseAll(signalDesktopParser, input)
    const errors = records.filter((r) => r.type === 'error')
    expect(errors[0]).toMatchObject({source: {offset: (ATTACHMENTS_PAGE - 1) * 4096}, error: expect.stringMatching(/^page 7 not decrypted: HMAC check failed/)})
    expect(errors.some((e) => e.source.table === 'message_attachments')).toBe(true)
    expect(records.filter((r) => r.type === 'chat.conversation').length).toBe(3)
    expect(records.filter((r) => r.type === 'chat.message').map((m) => m.body)).toEqual(['Hi, are you the one with the job offer?', 'Yes. Contract attached.', 'Send a passport scan to the group.', 'Here it is'])
    const attachments = input.coverage[0].tables.find((t) => t.table === 'message_attachments')
    // counted through its intact index, read through the damaged table page: the row shows as unexplained, flagged
    expect(attachments).toMatchObject({rows: 2, parsed: 0, unexplained: 2})
  })
})
