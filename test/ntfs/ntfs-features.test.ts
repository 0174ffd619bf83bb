import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {FileNotFoundError} from '../../src/errors.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage, golden, sha256Of, walk} from './ntfs-fixtures.js'

const sha = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex')
const open = (): NtfsFileSystem => new NtfsFileSystem(new MemoryByteSource(fixtureImage('main')))

/** istat's "2020-01-02 03:04:05.123456700 (UTC)" as trawl writes it: "2020-01-02T03:04:05.1234567Z". */
function istatTimes(text: string, section: string, occurrence = 0): Record<string, string> {
  const parts = text.split(`${section} Attribute Values:`)
  const block = parts[1 + occurrence]
  const get = (label: string): string => {
    const m = new RegExp(`${label}:\\t(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d)\\.(\\d{7})00 \\(UTC\\)`).exec(block)
    if (!m) throw new Error(`no ${label} in ${section}`)
    return `${m[1]}T${m[2]}.${m[3]}Z`
  }
  return {created: get('Created'), modified: get('File Modified'), changed: get('MFT Modified'), accessed: get('Accessed')}
}

describe('NTFS reader on main.img: what an examiner checks', () => {
  it('gives $SI and $FN times at full 100 ns precision, as istat does', async () => {
    const fs = open()
    for (const [path, file] of [
      ['resident.txt', 'main.istat-resident.txt.txt'],
      ['sparse.bin', 'main.istat-sparse.bin.txt'],
      ['compressed/text.txt', 'main.istat-compressed_text.txt.txt'],
      ['attrlist.txt', 'main.istat-attrlist.txt.txt'],
      ['frag/fragmented.bin', 'main.istat-frag_fragmented.bin.txt'],
    ]) {
      const text = golden(file)
      const entry = await fs.stat(path)
      expect(entry.times, path).toEqual(istatTimes(text, '$STANDARD_INFORMATION'))
      const {created, modified, changed, accessed} = entry.fileNameTimes![0]
      expect({created, modified, changed, accessed}, path).toEqual(istatTimes(text, '$FILE_NAME'))
    }
    // set with touch -d '2020-01-02 03:04:05.1234567 UTC' through ntfs-3g
    expect((await fs.stat('resident.txt')).times.modified).toBe('2020-01-02T03:04:05.1234567Z')
  })

  it('shows a hard link under each of its three names, with one MFT reference', async () => {
    const fs = open()
    const names = ['hardlink-a.txt', 'links/hardlink-b.txt', 'links/hardlink-c.txt']
    const entries = await Promise.all(names.map((n) => fs.stat(n)))
    expect(new Set(entries.map((e) => e.inode)).size).toBe(1)
    expect(entries[0].fileNameTimes!.map((t) => t.name).sort()).toEqual(['hardlink-a.txt', 'hardlink-b.txt', 'hardlink-c.txt'])
    for (const n of names) expect(await sha256Of(fs, n)).toBe(sha('linked content\n'))
  })

  it('reports reparse-point targets without following them (a junction to itself does not loop)', async () => {
    const fs = open()
    const listing = await fs.list('reparse')
    const byName = Object.fromEntries(listing.map((e) => [e.name, e]))
    expect(byName['junction']).toMatchObject({kind: 'symlink', linkTarget: 'C:\\Windows'})
    expect(byName['loop']).toMatchObject({kind: 'symlink', linkTarget: 'C:\\reparse\\loop'})
    expect(byName['abs-symlink']).toMatchObject({kind: 'symlink', linkTarget: 'C:\\Users\\Public\\file.txt'})
    expect(byName['rel-symlink']).toMatchObject({kind: 'symlink', linkTarget: '..\\resident.txt'})
    expect(byName['junction'].attributes).toContain('reparse-point')
    // a full walk never descends into them
    const all = await walk(fs)
    expect(all.filter((e) => e.path.startsWith('reparse/junction/'))).toEqual([])
  })

  it('reads sparse, compressed, fragmented and attribute-list files byte for byte', async () => {
    const fs = open()
    const sparse = await fs.stat('sparse.bin')
    expect(sparse.size).toBe(3 * 1024 * 1024)
    expect(sparse.attributes).toContain('sparse')
    const bytes: Buffer[] = []
    for await (const chunk of await fs.open('sparse.bin')) bytes.push(chunk as Buffer)
    const whole = Buffer.concat(bytes)
    expect(whole.length).toBe(3 * 1024 * 1024)
    expect(whole.subarray(1048576, 1048582).toString()).toBe('middle')
    expect(whole.subarray(3145724).toString()).toBe('tail')
    expect(whole.subarray(0, 1048576).every((b) => b === 0)).toBe(true)
    expect((await fs.stat('compressed/text.txt')).attributes).toContain('compressed')
    const attrlist = await fs.stat('attrlist.txt')
    expect(attrlist.streams?.length).toBe(40)
    expect(attrlist.fileNameTimes?.[0].name).toBe('attrlist.txt') // its $FILE_NAME lives in an extension record
    expect(await sha256Of(fs, 'ATTRLIST.TXT', 'S40')).toBe(sha256OfLine(golden('main.sha256.txt'), 'attrlist.txt:s40'))
  })

  it('resolves paths case-insensitively with the volume $UpCase table, also beyond ASCII', async () => {
    const fs = open()
    expect((await fs.stat('UNICODE/mixed case.txt')).path).toBe('unicode/MiXeD Case.TXT')
    expect((await fs.stat('unicode/入乡随俗 海外春节别样过法/ΕΛΛΗΝΙΚΆ.TXT')).path).toBe('unicode/入乡随俗 海外春节别样过法/Ελληνικά.txt')
    expect(await sha256Of(fs, 'unicode/😀 SMILE.txt')).toBe(sha('emoji\n'))
    await expect(fs.stat('unicode/nope.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('handles paths longer than 260 characters', async () => {
    const fs = open()
    const deep = (await walk(fs, 'deep')).find((e) => e.name === 'deep-file-with-a-long-name.txt')!
    expect(deep.path.length).toBeGreaterThan(260)
    expect((await fs.stat(deep.path.toUpperCase())).inode).toBe(deep.inode)
    expect(await sha256Of(fs, deep.path)).toBe(sha('deep file\n'))
  })

  it('lists a directory of 3001 entries (3000 empty files and one with data), as fls does', async () => {
    const fs = open()
    const many = await fs.list('many')
    expect(many.length).toBe(3001)
    expect(many.filter((e) => e.size > 0).map((e) => e.name)).toEqual(['file-0042.txt'])
  })

  it('lists deleted files only when asked, flagged, with what is left of their content', async () => {
    const fs = open()
    expect((await fs.list('')).map((e) => e.name)).not.toContain('deleted-root.txt')
    const withDeleted = await fs.list('', {deleted: true})
    const gone = withDeleted.find((e) => e.name === 'deleted-root.txt')!
    expect(gone.deleted).toBe(true)
    // a resident file keeps its content in the freed MFT record
    expect(await sha256Of(fs, 'deleted-root.txt')).toBe(sha('deleted at root\n'))
    const deletedDir = withDeleted.find((e) => e.name === 'deldir2')!
    expect(deletedDir).toMatchObject({deleted: true, kind: 'directory'})
    expect((await fs.list('deldir2', {deleted: true})).map((e) => [e.name, e.deleted])).toEqual([['inner.txt', true]])
    expect((await fs.list('deleted-dir', {deleted: true})).map((e) => e.name).sort()).toEqual(['gone.bin', 'gone.txt'])
  })

  it('names every $FILE_NAME namespace and keeps the ADS of directories', async () => {
    const fs = open()
    const root = await fs.list('')
    const mft = root.find((e) => e.name === '$MFT')!
    expect(mft.fileNameTimes?.map((t) => t.namespace)).toEqual(['Win32 & DOS'])
    expect(mft.inode).toBe('0-1')
    expect(root.find((e) => e.name === 'adsdir')?.streams).toEqual([{name: 'dirstream', size: 21}])
    expect(await sha256Of(fs, 'adsdir', 'dirstream')).toBe(sha('stream on a directory'))
    expect(await sha256Of(fs, 'ads.txt', 'note')).toBe(sha('I am a real ADS'))
    await expect(fs.open('ads.txt', {stream: 'missing'})).rejects.toBeInstanceOf(FileNotFoundError)
  })
})

function sha256OfLine(text: string, path: string): string {
  const line = text.split('\n').find((l) => l.endsWith(`\t${path}`))
  if (!line) throw new Error(`no ${path} in golden`)
  return line.slice(0, 64)
}
