/**
 * Every real SQLite database of ../shared/testdata (browser/chrome, browser/firefox,
 * browser/edge, chat/**): the parser that reads it reports a coverage account whose row
 * count for every table equals what the sqlite3 CLI counts on a scratch copy of the same
 * file with its -wal beside it (the CLI applies the WAL), lists every table of the
 * database, and leaves no row of a table it reads unexplained. The databases no parser
 * reads are listed with the reason, and each parser is shown to refuse them.
 */
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join, relative} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {chromiumHistoryParser} from '../../src/parsers/browser/chromium.js'
import {firefoxDownloadsParser, firefoxPlacesParser} from '../../src/parsers/browser/firefox.js'
import {androidSmsParser, googleMessagesParser} from '../../src/parsers/chat/android-messages.js'
import {messagesDbParser} from '../../src/parsers/chat/imessage.js'
import {skypeMainParser} from '../../src/parsers/chat/skype-main.js'
import {viberAndroidParser, viberDesktopParser} from '../../src/parsers/chat/viber.js'
import {whatsAppChatStorageParser} from '../../src/parsers/chat/whatsapp-ios.js'
import {coverageWarnings, type CoverageAccount} from '../../src/parsers/coverage.js'
import type {Parser} from '../../src/parsers/types.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {SHARED_DIR, describeShared, sharedFile} from '../helpers/shared.js'

/** The real databases a parser reads, with the tables it reads (the rest must be listed as not read). */
const COVERED: Array<{file: string; parser: Parser; reads: string[]}> = [
  ...['grr_History2', 'grr_History3', 'hindsight_v01/History', 'hindsight_v10/History', 'hindsight_v20/History', 'plaso_History', 'plaso_History-57.0.2987.133', 'plaso_History-58.0.3029.96'].map((name) => ({
    file: `browser/chrome/${name}`,
    parser: chromiumHistoryParser,
    reads: ['urls', 'visits', 'visit_source', 'downloads', 'downloads_url_chains', 'keyword_search_terms'],
  })),
  {file: 'browser/firefox/plaso_places.sqlite', parser: firefoxPlacesParser, reads: ['moz_places', 'moz_historyvisits', 'moz_bookmarks', 'moz_bookmarks_roots', 'moz_annos', 'moz_anno_attributes', 'moz_items_annos', 'moz_inputhistory', 'moz_keywords']},
  {file: 'browser/firefox/rdapaz_win_2017_places.sqlite', parser: firefoxPlacesParser, reads: ['moz_places', 'moz_historyvisits', 'moz_bookmarks', 'moz_annos', 'moz_anno_attributes', 'moz_items_annos', 'moz_inputhistory', 'moz_keywords']},
  {file: 'browser/firefox/plaso_downloads.sqlite', parser: firefoxDownloadsParser, reads: ['moz_downloads']},
  {file: 'chat/skype/plaso_skype_main.db', parser: skypeMainParser, reads: ['Accounts', 'Conversations', 'Participants', 'Chats', 'ChatMembers', 'Messages', 'SMSes', 'Contacts', 'Calls', 'CallMembers', 'Transfers']},
  {file: 'chat/viber/plaso_viber_data', parser: viberAndroidParser, reads: ['phonebookcontact', 'phonebookdata', 'calls']},
  {file: 'chat/imessage/dam_ios14.1_sms.db', parser: messagesDbParser, reads: ['handle', 'chat', 'chat_handle_join', 'message', 'chat_message_join', 'attachment', 'message_attachment_join', 'deleted_messages']},
  {file: 'chat/imessage/plaso_imessage_chat.db', parser: messagesDbParser, reads: ['handle', 'chat', 'chat_handle_join', 'message', 'chat_message_join', 'attachment', 'message_attachment_join', 'deleted_messages']},
  {file: 'chat/whatsapp/ileapp_ios15_ChatStorage.sqlite', parser: whatsAppChatStorageParser, reads: ['ZWACHATSESSION', 'ZWAGROUPMEMBER', 'ZWAGROUPINFO', 'ZWAPROFILEPUSHNAME', 'ZWAMESSAGE', 'ZWAMEDIAITEM']},
  {file: 'chat/sms/plaso_mmssms.db', parser: androidSmsParser, reads: ['canonical_addresses', 'threads', 'sms', 'pdu', 'part', 'addr']},
  {file: 'chat/google_messages/dam_a10_bugle_db', parser: googleMessagesParser, reads: ['participants', 'conversation_participants', 'conversations', 'parts', 'messages']},
]

/** Real databases trawl has no parser for: the reason is stated, and the bundle would hold them only as files. */
const NOT_COVERED: Array<{file: string; reason: string}> = [
  {file: 'browser/chrome/plaso_Cookies-68.0.3440.106', reason: 'Chromium Cookies: no parser yet'},
  {file: 'browser/chrome/plaso_cookies.db', reason: 'Chromium Cookies (old schema): no parser yet'},
  {file: 'browser/firefox/plaso_firefox_10_cookies.sqlite', reason: 'Firefox cookies.sqlite: no parser yet'},
  {file: 'browser/firefox/plaso_firefox_2_cookies.sqlite', reason: 'Firefox cookies.sqlite: no parser yet'},
  {file: 'browser/edge/plaso_load_statistics.db', reason: 'Edge (legacy) load_statistics.db: no parser yet'},
  {file: 'chat/hangouts/plaso_babel.db', reason: 'Google Hangouts babel.db: no parser yet'},
  {file: 'chat/imo/plaso_IMODb2.sqlite', reason: 'imo IMODb2.sqlite: no parser yet'},
  {file: 'chat/kik/plaso_kik.sqlite', reason: 'Kik kik.sqlite: no parser yet'},
  {file: 'chat/tango/plaso_tango_android_tc.db', reason: 'Tango tc.db: no parser yet'},
  {file: 'chat/tango/plaso_tango_profile.db', reason: 'Tango profile.db: no parser yet'},
]

const PARSERS = [chromiumHistoryParser, firefoxPlacesParser, firefoxDownloadsParser, skypeMainParser, viberDesktopParser, viberAndroidParser, messagesDbParser, whatsAppChatStorageParser, androidSmsParser, googleMessagesParser]

const scratch: string[] = []
afterAll(() => {
  for (const dir of scratch) rmSync(dir, {recursive: true, force: true})
})

/**
 * The oracle: the sqlite3 CLI on a scratch copy of `file` with its -wal beside it (never
 * the original: even a read-only open may create or change its -wal/-shm). The CLI applies
 * the WAL as it opens the copy. Returns every table of the database with its count(*).
 */
function sqlite3Counts(file: string): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-oracle-'))
  scratch.push(dir)
  const copy = join(dir, basename(file))
  copyFileSync(file, copy)
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`)
  const cli = (sql: string) => execFileSync('sqlite3', ['-batch', '-noheader', copy, sql], {encoding: 'utf8'})
  const tables = cli("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").split('\n').filter((t) => t !== '')
  const counts = new Map<string, number>()
  for (const table of tables) {
    try {
      counts.set(table, Number(cli(`SELECT count(*) FROM "${table.replaceAll('"', '""')}"`).trim()))
    } catch {
      // a virtual table whose module the CLI lacks: the account must say it could not count it either
      counts.set(table, Number.NaN)
    }
  }
  return counts
}

/** Every SQLite file (by its header) under the folders this test is about. */
function sqliteFilesUnder(...folders: string[]): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (readFileSync(path).subarray(0, 16).toString('latin1') === 'SQLite format 3\0') found.push(relative(SHARED_DIR, path))
    }
  }
  for (const folder of folders) walk(sharedFile(folder))
  return found.sort()
}

describeShared('coverage accounts of the real databases in ../shared/testdata', () => {
  it('every SQLite database under browser/chrome, browser/firefox, browser/edge and chat is either covered or listed as not covered with a reason', () => {
    const listed = [...COVERED.map((c) => c.file), ...NOT_COVERED.map((n) => n.file)].sort()
    expect(sqliteFilesUnder('browser/chrome', 'browser/firefox', 'browser/edge', 'chat')).toEqual(listed)
  })

  for (const item of COVERED) {
    describe(`${item.file} (${item.parser.id})`, () => {
      let account: CoverageAccount
      let oracle: Map<string, number>

      it('reports one coverage account, with no error record', async () => {
        const input = parserInputFor(sharedFile(item.file))
        const records = await parseAll(item.parser, input)
        expect(records.filter((r) => r.type === 'error')).toEqual([])
        expect(input.coverage).toHaveLength(1)
        account = input.coverage[0]
        expect(account).toMatchObject({parser: item.parser.id, store: 'sqlite', file: input.bundlePath})
        oracle = sqlite3Counts(sharedFile(item.file))
      })

      it('counts every table as sqlite3 does on a copy with its -wal applied, and lists every table of the database', () => {
        const present = account.tables.filter((t) => !t.absent)
        expect(Object.fromEntries(present.map((t) => [t.table, t.rows ?? Number.NaN]))).toEqual(Object.fromEntries(oracle))
      })

      it('reads the tables it knows and leaves no row of them unexplained; every other table is listed as not read', () => {
        const known = account.tables.filter((t) => t.known && !t.absent).map((t) => t.table)
        expect(known.sort()).toEqual(item.reads.filter((t) => oracle.has(t)).sort())
        for (const table of account.tables.filter((t) => t.known)) {
          expect({table: table.table, unexplained: table.unexplained}).toEqual({table: table.table, unexplained: 0})
          const excluded = table.excluded.reduce((sum, e) => sum + e.rows, 0)
          expect(table.parsed + excluded).toBe(table.rows)
        }
        expect(coverageWarnings(account)).toEqual([])
      })
    })
  }

  for (const item of NOT_COVERED) {
    it(`${item.file} is not covered (${item.reason}): every parser refuses it as not its database`, async () => {
      for (const parser of PARSERS) {
        const input = parserInputFor(sharedFile(item.file))
        await expect(parseAll(parser, input), parser.id).rejects.toThrow(/^not an? /)
        expect(input.coverage).toEqual([])
      }
    })
  }
})
