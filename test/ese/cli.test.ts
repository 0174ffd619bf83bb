import {statSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {trawl} from '../helpers/cli.js'
import {REPO_ROOT, describeShared, sharedFile} from '../helpers/shared.js'

const SRUDB = 'windows/srum/go-ese/SRUDB.dat'

describeShared('trawl ese ls / dump (built CLI)', () => {
  it('lists tables with row counts, dumps a table as text and JSON, leaves the file untouched, and fails in one line', async () => {
    const before = statSync(sharedFile(SRUDB)).mtimeMs
    const ls = await trawl(['ese', 'ls', sharedFile(SRUDB)])
    expect(ls.code).toBe(0)
    expect(ls.stdout).toContain('ESE database, 4096-byte pages, format 0x620 revision 0x6e, clean shutdown')
    expect(ls.stdout).toContain('SruDbIdMapTable  1141 rows, 3 columns')
    expect(ls.stdout).toContain('{973F5D5C-1D90-4944-BE8E-24B94231A174}  255 rows, 9 columns')

    const dump = await trawl(['ese', 'dump', sharedFile(SRUDB), '{D10CA2FE-6FCF-4F6D-848E-B2E99266FA86}'])
    expect(dump.code).toBe(0)
    expect(dump.stdout.split('\n').slice(1, 5)).toEqual([
      '# {D10CA2FE-6FCF-4F6D-848E-B2E99266FA86} (10 rows)',
      'AutoIncId\tTimeStamp\tAppId\tUserId\tNotificationType\tPayloadSize\tNetworkType',
      '1\t2021-10-07T08:26:00.000Z\t189\t155\t1\t1124\t0',
      '2\t2021-10-07T08:26:00.000Z\t190\t155\t1\t4300\t0',
    ])

    const json = JSON.parse((await trawl(['ese', 'dump', sharedFile(SRUDB), 'SruDbIdMapTable', '--json'])).stdout)
    expect(json.tables[0].rows).toHaveLength(1141)
    expect(json.tables[0].rows[3]).toEqual({page: 34, tag: 4, values: {IdType: 3, IdIndex: 4, IdBlob: '010100000000000514000000'}})
    expect(statSync(sharedFile(SRUDB)).mtimeMs).toBe(before)

    const missing = await trawl(['ese', 'dump', sharedFile(SRUDB), 'NoSuchTable'])
    expect(missing.code).toBe(2)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    expect(missing.stderr).toContain('no table "NoSuchTable" in')
    const notEse = await trawl(['ese', 'ls', join(REPO_ROOT, 'package.json')])
    expect(notEse.code).toBe(7)
    expect(notEse.stderr).toContain('not a usable ESE database')
  })
})
