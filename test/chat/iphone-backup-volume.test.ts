import {createHash} from 'node:crypto'
import {cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {expect, it} from 'vitest'
import {DirectoryFileSystem} from '../../src/fs/directory.js'
import {iphoneBackupParser} from '../../src/parsers/chat/iphone-backup.js'
import type {CollectedFile} from '../../src/parsers/types.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

const UDID = '00008030-001A2B3C4D5E802E'

/**
 * The backup folder placed where iTunes keeps it on a Windows volume, read through the
 * directory file system (case-insensitive paths, as on NTFS) and a collectRelated that
 * copies and hashes like collection does.
 */
it('reads the generated iPhone backup from a Windows-like volume, attachments collected through the file system', async () => {
  const volume = mkdtempSync(join(tmpdir(), 'trawl-volume-'))
  const backupDir = join(volume, 'Users/Ana/AppData/Roaming/Apple Computer/MobileSync/Backup')
  mkdirSync(backupDir, {recursive: true})
  cpSync(join(REPO_ROOT, 'fixtures/chat/iphone-backup', UDID), join(backupDir, UDID), {recursive: true})
  const fs = new DirectoryFileSystem(volume)
  // the definition's pattern is lower-case; the volume resolves it as Windows would
  const manifest = await fs.stat(`users/ana/appdata/roaming/apple computer/mobilesync/backup/${UDID.toLowerCase()}/manifest.db`)
  const scratch = mkdtempSync(join(tmpdir(), 'trawl-scratch-'))
  let n = 0
  const collected: CollectedFile[] = []
  const collectRelated = async (volumePath: string): Promise<CollectedFile | undefined> => {
    let entry
    try {
      entry = await fs.stat(volumePath)
    } catch {
      return undefined
    }
    if (entry.kind !== 'file') return undefined
    const copyPath = join(scratch, `related-${++n}`)
    await pipeline(await fs.open(entry.path), createWriteStream(copyPath))
    const data = readFileSync(copyPath)
    const file = {bundlePath: `files/dir/${entry.path}`, copyPath, sourcePath: entry.path, size: data.length, sha256: createHash('sha256').update(data).digest('hex')}
    collected.push(file)
    return file
  }
  const input = parserInputFor(join(volume, manifest.path), {sourcePath: manifest.path, bundlePath: `files/dir/${manifest.path}`, volume: 'dir', captures: {user: 'Ana', udid: UDID}, collectRelated})
  const records = await parseAll(iphoneBackupParser, input)
  expect(records.filter((r) => r.type === 'error')).toEqual([])
  expect(records.filter((r) => r.type === 'chat.backup')).toHaveLength(1)
  const messages = records.filter((r) => r.type === 'chat.message')
  expect(messages).toHaveLength(8)
  const withFiles = messages.flatMap((m) => m.attachments as Array<{bundlePath: string | null; sha256: string | null}>).filter((a) => a.bundlePath !== null)
  expect(withFiles).toHaveLength(3)
  for (const a of withFiles) {
    const file = collected.find((c) => c.bundlePath === a.bundlePath)
    expect(file?.sha256).toBe(a.sha256)
    expect(a.bundlePath).toMatch(new RegExp(`^files/dir/Users/Ana/AppData/Roaming/Apple Computer/MobileSync/Backup/${UDID}/[0-9a-f]{2}/[0-9a-f]{40}$`))
  }
  // the plists, sms.db and its WAL, ChatStorage and the three attachment files were collected, each once
  expect(collected.map((c) => c.sourcePath.split('/').pop()).filter((name) => name?.endsWith('.plist')).sort()).toEqual(['Info.plist', 'Manifest.plist', 'Status.plist'])
  expect(new Set(collected.map((c) => c.sourcePath)).size).toBe(collected.length)
  expect(collected).toHaveLength(3 + 2 + 1 + 3)
})
