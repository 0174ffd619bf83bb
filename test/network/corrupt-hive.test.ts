import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ParseError} from '../../src/errors.js'
import {registryNtuserParser} from '../../src/parsers/network/registry-ntuser.js'
import {registrySystemParser} from '../../src/parsers/network/registry-system.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {buildTestHive, fieldAt} from '../registry/build-hive.js'

function write(name: string, data: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trawl-corrupt-')), name)
  writeFileSync(path, data)
  return path
}

describe('network parsers on unreadable hives', () => {
  it('a file that is not a hive is a ParseError naming the source path', async () => {
    const input = parserInputFor(write('NTUSER.DAT', Buffer.concat([Buffer.from('MZ not a registry hive'), Buffer.alloc(4096)])), {sourcePath: 'Users/ana/NTUSER.DAT'})
    await expect(parseAll(registryNtuserParser, input)).rejects.toThrow(ParseError)
    await expect(parseAll(registryNtuserParser, input)).rejects.toThrow(/no REGF signature.*Users\/ana\/NTUSER.DAT/)
  })

  it('a hive whose root subkey list points outside the hive bins: the hive record, then one error record', async () => {
    const t = buildTestHive(['Network', 'Software'])
    t.data.writeUInt32LE(0x00ffff00, fieldAt(t.rootOffset, 28))
    const records = await parseAll(registryNtuserParser, parserInputFor(write('NTUSER.DAT', t.data)))
    expect(records.map((r) => r.type)).toEqual(['registry.hive', 'error'])
    expect(records[1].error).toMatch(/^registry hive partly unreadable: subkey list: offset 0xffff00 lies outside every hive bin/)
  })

  it('a SYSTEM without Select or control sets yields an error record, not a crash', async () => {
    const records = await parseAll(registrySystemParser, parserInputFor(write('SYSTEM', buildTestHive(['Foo']).data)))
    expect(records.map((r) => r.type)).toEqual(['registry.hive', 'error'])
  })
})
