import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {parseMbdb} from '../../src/parsers/chat/manifest-mbdb.js'
import {REPO_ROOT} from '../helpers/shared.js'

const MBDB = join(REPO_ROOT, 'fixtures/chat/iphone-backup-ios9/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678/Manifest.mbdb')

it('lists the records of Manifest.mbdb with their SHA-1 file names, modes and sizes', () => {
  const entries = parseMbdb(readFileSync(MBDB), 'Manifest.mbdb')
  expect(entries.map((e) => [e.domain, e.path, e.mode.toString(8), e.fileId])).toEqual([
    ['HomeDomain', 'Library/SMS', '40755', '216b7d745005532012e7e1c9957c7688692fd939'],
    ['HomeDomain', 'Library/SMS/sms.db', '100644', '3d0d7e5fb2ce288813306e4d4636395e047a3d28'],
    ['MediaDomain', 'Library/SMS/Attachments/4f/15/at_0_11111111-2222-3333-4444-555555555555/contract.jpg', '100644', '5ec035a3bb732e612bc2ae32803bc8fff6d38878'],
  ])
  expect(entries[2]).toMatchObject({size: 23, mtime: 1433160000})
})

it('never throws anything but a ParseError on damaged Manifest.mbdb', () => {
  const good = readFileSync(MBDB)
  fc.assert(
    fc.property(fc.integer({min: 0, max: good.length - 1}), fc.integer({min: 0, max: 255}), fc.integer({min: 0, max: good.length}), (at, byte, cut) => {
      const damaged = Buffer.from(good.subarray(0, cut))
      if (at < damaged.length) damaged[at] = byte
      try {
        parseMbdb(damaged, 'damaged')
      } catch (error) {
        if (!(error instanceof ParseError)) throw error
      }
    }),
    {numRuns: 2000},
  )
})
