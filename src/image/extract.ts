import type {Readable} from 'node:stream'
import {openSource} from '../source/open.js'
import type {EvidenceSource} from '../source/types.js'
import {chooseVolume, splitStreamPath} from './listing.js'

/**
 * `trawl image cat`: the byte-exact content of one file (or one alternate data
 * stream, 'path:stream') of a volume in an image, like The Sleuth Kit's icat.
 */

/** Opens `spec` ('dir/file' or 'dir/file:stream') on the chosen volume of an open source. */
export async function openVolumeFile(source: EvidenceSource, spec: string, options: {partition?: number; snapshot?: number} = {}): Promise<Readable> {
  const volume = chooseVolume(source, options.partition, options.snapshot)
  const {path, stream} = splitStreamPath(spec.replace(/\\/g, '/').replace(/^\/+/, ''))
  return volume.fs.open(path, stream ? {stream} : undefined)
}

export async function openImageFile(image: string, spec: string, options: {partition?: number; snapshot?: number} = {}): Promise<{stream: Readable; close(): Promise<void>}> {
  const source = await openSource(image, options.snapshot === undefined ? {} : {snapshots: [options.snapshot]})
  try {
    const stream = await openVolumeFile(source, spec, options)
    return {stream, close: () => source.close()}
  } catch (error) {
    await source.close()
    throw error
  }
}
