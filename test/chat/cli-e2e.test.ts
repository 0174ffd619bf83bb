import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

const UDID = '00008030-001A2B3C4D5E802E'

describe('chats end to end from the CLI', () => {
  it('reads an iPhone backup and a Skype account on a Windows-like volume: messages with their attachments collected and hashed, an encrypted backup reported', async () => {
    const dir = scratchDir()
    const keys = await makeKeys(join(dir, 'keys'))
    const volume = join(dir, 'volume')
    const backups = join(volume, 'Users/ana/AppData/Roaming/Apple Computer/MobileSync/Backup')
    mkdirSync(backups, {recursive: true})
    cpSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup', UDID), join(backups, UDID), {recursive: true})
    const bobBackups = join(volume, 'Users/bob/Apple/MobileSync/Backup')
    mkdirSync(bobBackups, {recursive: true})
    cpSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup-encrypted', UDID), join(bobBackups, UDID), {recursive: true})
    cpSync(join(REPO_ROOT, 'fixtures/chat/skype/ana.skype'), join(volume, 'Users/ana/AppData/Roaming/Skype/ana.skype'), {recursive: true})
    const bundle = join(dir, 'chats.zip')
    const result = await trawl(['collect', '--allow-same-volume', '--source', volume, '--out', bundle, '--case', 'CH-1', '--examiner', 'Test Examiner', '--targets', 'chat', ...keys.signArgs], {env: keys.env})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)

    const listing = execFileSync('unzip', ['-Z1', bundle], {encoding: 'utf8'}).trim().split('\n')
    const records = listing
      .filter((n) => n.startsWith('parsed/') && n.endsWith('.jsonl'))
      .flatMap((n) => execFileSync('unzip', ['-p', bundle, n], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l)))
    const manifest = JSON.parse(execFileSync('unzip', ['-p', bundle, 'manifest.json'], {encoding: 'utf8'}))
    const byPath = new Map(manifest.entries.map((e: {path: string; sha256: string}) => [e.path, e.sha256]))

    const iphone = records.filter((r) => r.type === 'chat.message' && r.source.file.includes('MobileSync'))
    expect(iphone.length).toBeGreaterThanOrEqual(8)
    // an attachment the backup does not hold is named but has no bundle path
    const attachments = iphone.flatMap((r) => r.attachments ?? []).filter((a: {bundlePath: string | null}) => a.bundlePath !== null)
    expect(attachments.length).toBeGreaterThanOrEqual(3)
    for (const attachment of attachments) {
      // each attachment is in the bundle, with the hash the manifest gives it
      expect(listing).toContain(attachment.bundlePath)
      expect(byPath.get(attachment.bundlePath)).toBe(attachment.sha256)
    }
    const backupsFound = records.filter((r) => r.type === 'chat.backup')
    expect(backupsFound.map((r) => r.encrypted).sort()).toEqual([false, true])
    expect(records.some((r) => r.type === 'chat.message' && r.app === 'Skype')).toBe(true)
    for (const message of records.filter((r) => r.type === 'chat.message')) {
      expect(message.source.table).toBeTruthy()
      expect(message.sentAt === null || /Z$/.test(message.sentAt)).toBe(true)
    }
    expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
  })
})
