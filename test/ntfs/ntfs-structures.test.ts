import {describe, expect, it} from 'vitest'
import {CorruptImageError} from '../../src/errors.js'
import {AttributeData} from '../../src/ntfs/attribute-data.js'
import {parseBootSector} from '../../src/ntfs/boot-sector.js'
import {decodeDataRuns} from '../../src/ntfs/data-runs.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage} from './ntfs-fixtures.js'

describe('NTFS boot sector (libfsntfs "The volume header")', () => {
  it('reads the geometry mkntfs wrote for 512-byte, 4 KiB and 64 KiB clusters', () => {
    expect(parseBootSector(fixtureImage('c512').subarray(0, 512))).toMatchObject({bytesPerSector: 512, clusterSize: 512, mftRecordSize: 1024, indexRecordSize: 4096})
    expect(parseBootSector(fixtureImage('main').subarray(0, 512))).toMatchObject({clusterSize: 4096, mftLcn: 4, mftRecordSize: 1024, indexRecordSize: 4096})
    expect(parseBootSector(fixtureImage('c64k').subarray(0, 512))).toMatchObject({clusterSize: 65536, mftRecordSize: 1024, indexRecordSize: 4096})
  })

  it('decodes sectors per cluster above 128 as a negative power of two (clusters over 64 KiB)', () => {
    const boot = Buffer.from(fixtureImage('main').subarray(0, 512))
    boot[13] = 0xf8 // 2^(256-248) = 256 sectors of 512 bytes = 128 KiB
    boot.writeBigUInt64LE(4n * 2n ** 20n, 40) // 2 GiB of sectors so the $MFT cluster fits
    boot[64] = 0xf6 // MFT entry size 2^10 bytes
    boot[68] = 0xf4 // index record size 2^12 bytes
    expect(parseBootSector(boot)).toMatchObject({clusterSize: 131072, mftRecordSize: 1024, indexRecordSize: 4096})
    boot[64] = 2 // a positive value counts clusters
    expect(() => parseBootSector(boot)).toThrow(/invalid MFT entry size 262144 \(at offset 64\)/)
  })
})

describe('NTFS data runs and attribute data', () => {
  it('decodes runs with negative LCN deltas and sparse runs', () => {
    // 0x11: 1-byte length 0x10 at LCN +0x20; 0x01: sparse run of 8; 0x11: 4 clusters at LCN -0x10 (0xF0)
    const runs = decodeDataRuns(Buffer.from([0x11, 0x10, 0x20, 0x01, 0x08, 0x11, 0x04, 0xf0, 0x00]), 0, 9, 0, 'test')
    expect(runs).toEqual([
      {vcn: 0, length: 16, lcn: 32},
      {vcn: 16, length: 8, lcn: null},
      {vcn: 24, length: 4, lcn: 16},
    ])
    expect(() => decodeDataRuns(Buffer.from([0x11, 0x10, 0x80]), 0, 3, 0, 'MFT record 9 $DATA', 1000)).toThrow(/MFT record 9 \$DATA: data run points before the start of the volume \(at offset 1000\)/)
  })

  it('reads zeros past the initialized size (valid data length) and in sparse runs', () => {
    const volume = Buffer.alloc(16 * 512, 0xaa)
    const data = new AttributeData(new MemoryByteSource(volume), 512, 16, {runs: [{vcn: 0, length: 2, lcn: 3}, {vcn: 2, length: 2, lcn: null}, {vcn: 4, length: 2, lcn: 8}], dataSize: 3000, initializedSize: 700, compressionUnit: 0}, 'test')
    const bytes = data.read(0, 5000)
    expect(bytes.length).toBe(3000)
    expect(bytes.subarray(0, 700).every((b) => b === 0xaa)).toBe(true)
    expect(bytes.subarray(700).every((b) => b === 0)).toBe(true)
    const full = new AttributeData(new MemoryByteSource(volume), 512, 16, {runs: [{vcn: 0, length: 2, lcn: 3}, {vcn: 2, length: 2, lcn: null}, {vcn: 4, length: 2, lcn: 8}], dataSize: 3000, initializedSize: 3000, compressionUnit: 0}, 'test')
    const all = full.read(0, 3000)
    expect(all.subarray(0, 1024).every((b) => b === 0xaa)).toBe(true)
    expect(all.subarray(1024, 2048).every((b) => b === 0)).toBe(true)
    expect(all.subarray(2048).every((b) => b === 0xaa)).toBe(true)
  })

  it('names the attribute and cluster when a run leaves the volume or the image ends', () => {
    const volume = Buffer.alloc(8 * 512)
    const past = new AttributeData(new MemoryByteSource(volume), 512, 8, {runs: [{vcn: 0, length: 4, lcn: 6}], dataSize: 2048, initializedSize: 2048, compressionUnit: 0}, 'MFT record 70 $DATA')
    expect(() => past.read(0, 2048)).toThrow(/^MFT record 70 \$DATA: data run at cluster 6 points past the end of the volume \(8 clusters\) \(at offset 3072\)$/)
    const truncated = new AttributeData(new MemoryByteSource(volume.subarray(0, 5 * 512)), 512, 8, {runs: [{vcn: 0, length: 2, lcn: 4}], dataSize: 1024, initializedSize: 1024, compressionUnit: 0}, 'MFT record 71 $DATA')
    expect(() => truncated.read(0, 1024)).toThrow(CorruptImageError)
    expect(() => truncated.read(0, 1024)).toThrow(/the image ends before cluster 5 \(truncated image\)/)
  })
})
