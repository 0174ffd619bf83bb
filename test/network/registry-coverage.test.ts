import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {renderCoverage} from '../../src/cli/render.js'
import {coverageWarnings, type CoverageAccount} from '../../src/parsers/coverage.js'
import {registryNtuserParser} from '../../src/parsers/network/registry-ntuser.js'
import {registrySoftwareParser} from '../../src/parsers/network/registry-software.js'
import {registrySystemParser} from '../../src/parsers/network/registry-system.js'
import type {Parser} from '../../src/parsers/types.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'

const FIX = join(REPO_ROOT, 'fixtures/network')

/**
 * The oracle: libregf's regfexport listing of the same hive. A key's rows are the key paths
 * one level below it plus the `Value:` lines of its own block (paths compared below the root
 * key, whose name differs from hive to hive: ROOT, CMI-CreateHive{...}).
 */
function regfexportRows(golden: string, keyPath: string): number {
  const text = readFileSync(golden, 'utf8')
  const full = keyPath.toUpperCase()
  const blocks = text.split(/\n(?=Key path: )/)
  let rows = 0
  for (const block of blocks) {
    const path = /^Key path: [^\\\n]*\\(.*)$/m.exec(block)?.[1]?.toUpperCase()
    if (!path) continue
    if (path === full) rows += (block.match(/^Value: /gm) ?? []).length
    else if (path.startsWith(`${full}\\`) && !path.slice(full.length + 1).includes('\\')) rows++
  }
  return rows
}

async function accountOf(parser: Parser, hive: string, sourcePath: string): Promise<CoverageAccount> {
  const input = parserInputFor(hive.startsWith('/') ? hive : join(FIX, hive), {sourcePath, captures: {user: 'ana'}})
  await parseAll(parser, input)
  expect(input.coverage).toHaveLength(1)
  return input.coverage[0]
}

/** Every key of the account, owned or listed as not read, holds as many subkeys + values as regfexport shows. */
function checkAgainstGolden(account: CoverageAccount, golden: string): void {
  for (const t of account.tables) {
    if (t.absent) continue
    expect(t.rows, t.table).toBe(regfexportRows(golden, t.table))
  }
}

function owned(account: CoverageAccount): Array<[string, number | null, number]> {
  return account.tables.filter((t) => t.known).map((t) => [t.table, t.rows, t.parsed])
}

describe('registry coverage accounts, checked against the regfexport goldens', () => {
  it('SOFTWARE: NetworkList Profiles and Signatures\\Managed/Unmanaged subkeys all read; the other NetworkList keys listed as not read', async () => {
    const account = await accountOf(registrySoftwareParser, 'SOFTWARE', 'Windows/System32/config/SOFTWARE')
    expect(account).toMatchObject({parser: 'registry-software', store: 'registry', sourcePath: 'Windows/System32/config/SOFTWARE'})
    expect(owned(account)).toEqual([
      ['Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles', 2, 2],
      ['Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Signatures\\Managed', 1, 1],
      ['Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Signatures\\Unmanaged', 1, 1],
    ])
    checkAgainstGolden(account, join(FIX, 'SOFTWARE.regfexport.txt'))
    expect(coverageWarnings(account)).toEqual([])
  })

  it('SYSTEM: every Tcpip Interfaces subkey became an interface record', async () => {
    const account = await accountOf(registrySystemParser, 'SYSTEM', 'Windows/System32/config/SYSTEM')
    expect(owned(account)).toEqual([['ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces', 1, 1]])
    checkAgainstGolden(account, join(FIX, 'SYSTEM.regfexport.txt'))
    expect(coverageWarnings(account)).toEqual([])
  })

  it('NTUSER.DAT: Terminal Server Client Servers and Default, Network, Map Network Drive MRU', async () => {
    const account = await accountOf(registryNtuserParser, 'NTUSER.DAT', 'Users/ana/NTUSER.DAT')
    expect(owned(account)).toEqual([
      ['Software\\Microsoft\\Terminal Server Client\\Servers', 2, 2],
      ['Software\\Microsoft\\Terminal Server Client\\Default', 2, 2],
      ['Network', 1, 1],
      // a, b and MRUList: MRUList orders the two entries
      ['Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Map Network Drive MRU', 3, 3],
    ])
    checkAgainstGolden(account, join(FIX, 'NTUSER.DAT.regfexport.txt'))
    expect(coverageWarnings(account)).toEqual([])
  })
})

describeShared('registry coverage on real hives (../shared/testdata)', () => {
  it('regipy Windows 7 SYSTEM: 3 of 3 Tcpip Interfaces read; Adapters, DNSRegisteredAdapters, PersistentRoutes, Winsock listed as not read, counted as regfexport counts them', async () => {
    const account = await accountOf(registrySystemParser, sharedFile('registry/regipy/SYSTEM'), 'Windows/System32/config/SYSTEM')
    expect(owned(account)).toEqual([['ControlSet001\\services\\Tcpip\\Parameters\\Interfaces', 3, 3]])
    expect(account.tables.filter((t) => !t.known).map((t) => [t.table.split('\\').pop(), t.rows])).toEqual([
      ['Adapters', 2],
      ['DNSRegisteredAdapters', 2],
      ['PersistentRoutes', 2],
      ['Winsock', 5],
    ])
    checkAgainstGolden(account, join(FIX, 'regipy-SYSTEM-Tcpip.regfexport.txt'))
    expect(coverageWarnings(account)).toEqual([])
    // as the collect summary shows it
    const shown = renderCoverage([account])
    expect(shown).toContain('    ControlSet001\\services\\Tcpip\\Parameters\\Interfaces: 3 / 3\n')
    expect(shown).toContain('not read: ControlSet001\\services\\Tcpip\\Parameters\\Adapters (2 subkeys and values), ')
  })

  it('a Windows 10 NTUSER.DAT without remote-desktop keys: the keys are listed as absent, not reported as read', async () => {
    const account = await accountOf(registryNtuserParser, sharedFile('registry/artemis_win10_NTUSER.DAT'), 'Users/x/NTUSER.DAT')
    expect(account.tables.filter((t) => t.absent).map((t) => t.table)).toEqual([
      'Software\\Microsoft\\Terminal Server Client\\Servers',
      'Software\\Microsoft\\Terminal Server Client\\Default',
      'Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Map Network Drive MRU',
    ])
    expect(account.tables.find((t) => t.table === 'Network')).toMatchObject({rows: 0, parsed: 0, unexplained: 0})
  })
})
