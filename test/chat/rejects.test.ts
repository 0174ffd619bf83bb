import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {chatParsers} from '../../src/parsers/chat/index.js'
import type {Parser} from '../../src/parsers/types.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

/** Which parser reads which real database; every other parser must refuse it. */
const REAL: Array<{file: string; readBy: string | null}> = [
  {file: 'chat/skype/plaso_skype_main.db', readBy: 'skype-main'},
  {file: 'chat/imessage/dam_ios14.1_sms.db', readBy: 'apple-messages'},
  {file: 'chat/imessage/plaso_imessage_chat.db', readBy: 'apple-messages'},
  {file: 'chat/whatsapp/ileapp_ios15_ChatStorage.sqlite', readBy: 'whatsapp-ios'},
  {file: 'chat/viber/plaso_viber_data', readBy: 'viber-android'},
  {file: 'chat/google_messages/dam_a10_bugle_db', readBy: 'google-messages'},
  {file: 'chat/hangouts/plaso_babel.db', readBy: null},
  {file: 'chat/kik/plaso_kik.sqlite', readBy: null},
  {file: 'chat/tango/plaso_tango_android_tc.db', readBy: null},
  {file: 'chat/tango/plaso_tango_profile.db', readBy: null},
  {file: 'chat/imo/plaso_IMODb2.sqlite', readBy: null},
  {file: 'chat/sms/plaso_mmssms.db', readBy: 'android-sms'},
]

async function rejection(parser: Parser, file: string): Promise<unknown> {
  try {
    await parseAll(parser, parserInputFor(file))
  } catch (error) {
    return error
  }
  return undefined
}

describeShared('each chat parser refuses the other apps’ real databases', () => {
  for (const {file, readBy} of REAL) {
    for (const parser of chatParsers.filter((p) => p.id !== readBy)) {
      it(`${parser.id} refuses ${file}`, async () => {
        const error = await rejection(parser, sharedFile(file))
        expect(error).toBeInstanceOf(ParseError)
        expect(String((error as Error).message)).toMatch(/^not an? /)
      })
    }
  }
})

describeShared('truncated real databases give a ParseError, never a crash', () => {
  const cases: Array<[string, string]> = [
    ['skype-main', 'chat/skype/plaso_skype_main.db'],
    ['apple-messages', 'chat/imessage/plaso_imessage_chat.db'],
    ['whatsapp-ios', 'chat/whatsapp/ileapp_ios15_ChatStorage.sqlite'],
    ['viber-android', 'chat/viber/plaso_viber_data'],
    ['android-sms', 'chat/sms/plaso_mmssms.db'],
    ['google-messages', 'chat/google_messages/dam_a10_bugle_db'],
  ]
  for (const [id, file] of cases) {
    for (const keep of [0, 10, 100, 4096, 32768]) {
      it(`${id} on the first ${keep} bytes of ${file}`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'trawl-trunc-'))
        const cut = join(dir, 'cut.db')
        writeFileSync(cut, readFileSync(sharedFile(file)).subarray(0, keep))
        const parser = chatParsers.find((p) => p.id === id) as Parser
        expect(await rejection(parser, cut)).toBeInstanceOf(ParseError)
      })
    }
  }
})

describe('malformed fixtures give a ParseError', () => {
  it('whatsapp-android and viber-desktop on a msgstore.db/viber.db with a damaged page', async () => {
    for (const [id, file] of [
      ['whatsapp-android', 'fixtures/chat/android/com.whatsapp/databases/msgstore.db'],
      ['viber-desktop', 'fixtures/chat/viber/viber.db'],
    ]) {
      const dir = mkdtempSync(join(tmpdir(), 'trawl-bad-'))
      const bad = join(dir, 'bad.db')
      copyFileSync(join(REPO_ROOT, file), bad)
      const bytes = readFileSync(bad)
      // overwrite everything after the first page (the schema root) with garbage
      bytes.fill(0xa5, 1024)
      writeFileSync(bad, bytes)
      const parser = chatParsers.find((p) => p.id === id) as Parser
      expect(await rejection(parser, bad), id).toBeInstanceOf(ParseError)
    }
  })

  it('a text file is not a database for any chat parser', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-text-'))
    const file = join(dir, 'main.db')
    writeFileSync(file, 'just some notes, not SQLite\n'.repeat(20))
    for (const parser of chatParsers) expect(await rejection(parser, file), parser.id).toBeInstanceOf(ParseError)
  })
})
