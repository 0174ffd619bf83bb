import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {KnownFileList} from '../../src/batch/hash-sets.js'
import {scratchDir} from '../helpers/cli.js'

const dir = scratchDir('trawl-batch-hashset-')
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e'

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('known-file lists for --hashset', () => {
  it('reads sha256sum/md5sum lines with their labels, skipping comments, and tells the algorithm by length', async () => {
    const list = await KnownFileList.load(file('lab.txt', `# lab list\n${SHA256}  empty file\n\n${MD5.toUpperCase()} *binary-mode name\n`))
    expect(list.name).toBe('lab.txt')
    expect(list.size).toBe(2)
    expect(list.match({sha256: SHA256, sha1: '0'.repeat(40), md5: '1'.repeat(32)})).toEqual({algorithm: 'sha256', label: 'empty file'})
    expect(list.match({sha256: '2'.repeat(64), sha1: '0'.repeat(40), md5: MD5})).toEqual({algorithm: 'md5', label: 'binary-mode name'})
    expect(list.match({sha256: '2'.repeat(64), sha1: SHA1, md5: '1'.repeat(32)})).toBeUndefined()
  })

  it('reads NSRL RDS CSV rows: SHA-1 and MD5 columns count, CRC32 and numbers do not', async () => {
    const list = await KnownFileList.load(
      file('NSRLFile.txt', `"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\n"${SHA1.toUpperCase()}","${MD5.toUpperCase()}","00000000","empty.txt",0,1234,"362",""\n`),
    )
    expect(list.size).toBe(2)
    expect(list.match({sha256: '2'.repeat(64), sha1: SHA1, md5: '1'.repeat(32)})).toEqual({algorithm: 'sha1', label: 'empty.txt'})
  })

  it('refuses a file with no digest and a missing file, each with one clear line', async () => {
    await expect(KnownFileList.load(file('empty.txt', 'no digests here\n'))).rejects.toThrow(/holds no MD5, SHA-1 or SHA-256 digest/)
    await expect(KnownFileList.load(join(dir, 'absent.txt'))).rejects.toThrow(/no such file/)
  })
})
