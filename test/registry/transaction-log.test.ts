import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {RegistryHive} from '../../src/registry/hive.js'
import {parseLogEntries, replayTransactionLogs} from '../../src/registry/transaction-log.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {compareWithRegfexport, parseRegfexport, readGolden} from './regfexport-golden.js'

const FIX = join(REPO_ROOT, 'fixtures/network')
const golden = (name: string) => parseRegfexport(readGolden(join(FIX, `${name}.regfexport.txt`)))

describe('hives written by hivex read the same as regfexport', () => {
  for (const name of ['SOFTWARE', 'SYSTEM', 'NTUSER.DAT', 'SOFTWARE.after']) {
    it(`${name}: every key and value equals regfexport's`, () => {
      expect(compareWithRegfexport(RegistryHive.open(join(FIX, name)), golden(name))).toEqual([])
    })
  }
})

describe('dirty hives: transaction logs replayed', () => {
  it('new format (HvLE): the dirty SOFTWARE with its LOG1 replays to the hive hivex wrote (SOFTWARE.after), and says so', () => {
    const hive = RegistryHive.open(join(FIX, 'dirty-new/SOFTWARE'))
    expect(hive.replay).toEqual({
      dirty: true,
      applied: [{file: 'SOFTWARE.LOG1', format: 'new', entries: 1, pages: 3, sequences: [109, 109]}],
      skipped: [],
      sequenceBefore: [110, 109],
      sequenceAfter: [110, 110],
    })
    expect(hive.dirty).toBe(false)
    expect(compareWithRegfexport(hive, golden('SOFTWARE.after'))).toEqual([])
    const profiles = hive.key('Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles')!.subkeys()
    expect(profiles.map((p) => p.value('ProfileName')!.asString())).toEqual(['HomeNet 2', 'corp.example', 'CoffeeShop'])
  })

  it('regfexport does not replay logs: on the dirty primary it lists the state before the log', () => {
    // libregf 20201007 reads primary files only; its listing of the dirty hive equals the pre-log SOFTWARE
    expect(compareWithRegfexport(RegistryHive.open(join(FIX, 'SOFTWARE')), golden('dirty-new_SOFTWARE'))).toEqual([])
    const unreplayed = RegistryHive.open(join(FIX, 'dirty-new/SOFTWARE'), {applyLogs: false})
    expect(unreplayed.dirty).toBe(true)
    expect(compareWithRegfexport(unreplayed, golden('dirty-new_SOFTWARE'))).toEqual([])
  })

  it('old format (DIRT vector, 512-byte pages): the same replayed result', () => {
    const hive = RegistryHive.open(join(FIX, 'dirty-old/SOFTWARE'))
    expect(hive.replay?.applied).toEqual([{file: 'SOFTWARE.LOG', format: 'old', entries: 1, pages: 11}])
    expect(compareWithRegfexport(hive, golden('SOFTWARE.after'))).toEqual([])
  })

  it('a log entry with a wrong Marvin32 hash is not applied, and the report says why', () => {
    const primary = readFileSync(join(FIX, 'dirty-new/SOFTWARE'))
    const log = Buffer.from(readFileSync(join(FIX, 'dirty-new/SOFTWARE.LOG1')))
    expect(parseLogEntries(log)[0].hashValid).toBe(true)
    log[512 + 40 + 100] ^= 0xff
    expect(parseLogEntries(log)[0].hashValid).toBe(false)
    const {data, replay} = replayTransactionLogs(primary, [{name: 'SOFTWARE.LOG1', data: log}])
    expect(replay.applied).toEqual([])
    expect(replay.skipped).toEqual([{file: 'SOFTWARE.LOG1', reason: 'no log entry with the expected sequence number'}])
    expect(data).toBe(primary)
  })

  it('a clean hive ignores its logs', () => {
    const clean = readFileSync(join(FIX, 'SOFTWARE'))
    const {replay} = replayTransactionLogs(clean, [{name: 'SOFTWARE.LOG1', data: readFileSync(join(FIX, 'dirty-new/SOFTWARE.LOG1'))}])
    expect(replay).toMatchObject({dirty: false, applied: [], skipped: [{file: 'SOFTWARE.LOG1', reason: 'hive is clean'}]})
  })
})

describe('transaction logs (property-based): damaged logs never crash replay or allocate without bound', () => {
  it('random byte changes in a new-format or old-format log: replay returns a hive or reports the log skipped', async () => {
    const fc = (await import('fast-check')).default
    const {TrawlError} = await import('../../src/errors.js')
    const primary = readFileSync(join(FIX, 'dirty-new/SOFTWARE'))
    const logs = [readFileSync(join(FIX, 'dirty-new/SOFTWARE.LOG1')), readFileSync(join(FIX, 'dirty-old/SOFTWARE.LOG'))]
    fc.assert(
      fc.property(
        fc.integer({min: 0, max: 1}),
        fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}),
        (which, edits) => {
          const log = Buffer.from(logs[which])
          for (const [at, byte] of edits) log[at % Math.min(log.length, 1200)] = byte
          try {
            const {data} = replayTransactionLogs(primary, [{name: which ? 'SOFTWARE.LOG' : 'SOFTWARE.LOG1', data: log}])
            expect(data.length).toBeLessThanOrEqual(64 * 1024)
          } catch (error) {
            expect(error).toBeInstanceOf(TrawlError)
          }
        },
      ),
      {numRuns: 1500},
    )
  })

  it('an old-format log claiming more hive bins than the pages it carries is skipped, not allocated', () => {
    const primary = readFileSync(join(FIX, 'dirty-old/SOFTWARE'))
    const log = Buffer.from(readFileSync(join(FIX, 'dirty-old/SOFTWARE.LOG')))
    log.writeUInt32LE(409600, 40) // 400 KiB of bins, but its dirty pages end within the first 40 KiB
    // keep its base block valid so the size check is what refuses it
    let sum = 0
    for (let i = 0; i < 508; i += 4) sum ^= log.readUInt32LE(i)
    log.writeUInt32LE(sum >>> 0, 508)
    const {replay} = replayTransactionLogs(primary, [{name: 'SOFTWARE.LOG', data: log}])
    expect(replay.applied).toEqual([])
    expect(replay.skipped).toEqual([{file: 'SOFTWARE.LOG', reason: 'log hive bins size exceeds the pages it carries'}])
  })
})
