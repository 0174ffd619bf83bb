import type {ByteSource} from '../image/byte-source.js'
import {gptSectorSize, readGpt} from './gpt.js'
import {looksLikeMbr, readMbr} from './mbr.js'
import type {VolumeSystem} from './types.js'

/**
 * Finds how a disk is divided: GPT when a protective MBR (type 0xEE) precedes
 * an "EFI PART" header; else MBR when sector 0 is a sane partition table and
 * not a volume boot sector; else the whole image is one bare volume.
 */
export function readVolumeSystem(disk: ByteSource): VolumeSystem {
  const sector0 = disk.read(0, 512)
  if (sector0.length === 512 && sector0[510] === 0x55 && sector0[511] === 0xaa) {
    const protective = [0, 1, 2, 3].some((i) => sector0[446 + i * 16 + 4] === 0xee)
    const gptSector = protective ? gptSectorSize(disk) : undefined
    if (gptSector !== undefined) return readGpt(disk, gptSector)
    if (looksLikeMbr(sector0)) return readMbr(disk)
  }
  return {scheme: 'none', sectorSize: 512, partitions: [], meta: [], warnings: []}
}
