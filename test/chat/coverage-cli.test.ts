import {openDatabase} from '../../src/sqlite/engine.js'
import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CoverageAccount} from '../../src/parsers/coverage.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const DUMP = 'Users/ana/Documents/phone-dump'
const MIGRATION = join(REPO_ROOT, 'fixtures/chat/android-migration')

/** A Windows-like volume holding the mid-migration phone dump; `alter` changes the volume's copy (never the fixture). */
function volumeWithDump(dir: string, alter?: string): string {
  const volume = join(dir, 'volume')
  mkdirSync(join(volume, DUMP), {recursive: true})
  cpSync(MIGRATION, join(volume, DUMP), {recursive: true})
  if (alter) {
    const db = openDatabase(join(volume, DUMP, 'com.whatsapp/databases/msgstore.db'))
    db.exec(alter)
    db.close()
  }
  return volume
}

function manifestOf(bundle: string): {coverage: CoverageAccount[]; errors: Array<{message: string; artifact?: string}>} {
  return JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
}

describe('coverage of a WhatsApp msgstore.db in mid-migration, from the CLI', () => {
  it('collect reads both schemas: the summary and manifest.json show every table row accounted for', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'wa.zip')
    const result = await trawl(['collect', '--source', volumeWithDump(dir), '--out', bundle, '--case', 'CV-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Coverage:  1 database/hive read, every row of every known table accounted for')
    expect(result.stdout).toContain(`${DUMP}/com.whatsapp/databases/msgstore.db (WhatsApp Android msgstore.db: legacy and current schemas both hold messages (mid-migration): both read)`)
    expect(result.stdout).toMatch(/^ {4}messages: 5 \/ 6 \(excluded: 1 system placeholder row/m)
    expect(result.stdout).toMatch(/^ {4}message: 2 \/ 3 \(excluded: 1 system placeholder row/m)
    expect(result.stdout).toMatch(/^ {4}message_media: 2 \/ 2$/m)
    expect(result.stdout).not.toContain('UNEXPLAINED')
    expect(result.stdout).not.toContain('Errors:')

    const manifest = manifestOf(bundle)
    expect(manifest.errors).toEqual([])
    expect(manifest.coverage).toHaveLength(1)
    const tables = new Map(manifest.coverage[0].tables.map((t) => [t.table, t]))
    expect(tables.get('messages')).toMatchObject({known: true, rows: 6, parsed: 5, unexplained: 0})
    expect(tables.get('message')).toMatchObject({known: true, rows: 3, parsed: 2, unexplained: 0})
    const records = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'})
      .trim()
      .split('\n')
      .filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))
      .flatMap((n) => execFileSync('unzip', ['-p', bundle, n], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l)))
    expect(records.filter((r) => r.type === 'chat.message' && r.app === 'WhatsApp').length).toBe(6)
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })

  it('a renamed message_media table: collect does not report a clean run, it names the unread table and the image without its media', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const bundle = join(dir, 'wa.zip')
    const volume = volumeWithDump(dir, 'ALTER TABLE message_media RENAME TO message_media_v2')
    const result = await trawl(['collect', '--source', volume, '--out', bundle, '--case', 'CV-2', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Coverage:  1 database/hive read, 1 WITH ROWS NOT ACCOUNTED FOR (see Coverage and Errors below)')
    expect(result.stdout).toContain('absent from this database: message_media')
    expect(result.stdout).toContain('message_media_v2 (2 rows; LOOKS LIKE A RENAMED message_media)')
    expect(result.stdout).toMatch(/^ {4}message: 2 \/ 3 .*INCOMPLETE: 1 media messages whose media row was not found/m)
    expect(result.stdout).toContain('Errors:')
    const manifest = manifestOf(bundle)
    const messages = manifest.errors.map((e) => e.message)
    expect(messages).toContain(`coverage: ${DUMP}/com.whatsapp/databases/msgstore.db: table message_media_v2 (2 rows) was not read: it looks like a renamed or newer version of message_media (absent from this database), which whatsapp-android reads`)
    expect(messages).toContain(`coverage: ${DUMP}/com.whatsapp/databases/msgstore.db: message: 1 media messages whose media row was not found (no message_media row, no legacy media_* columns) (whatsapp-android)`)
    expect(manifest.errors.every((e) => e.artifact === 'whatsapp-android')).toBe(true)
  })
})
