import {once} from 'node:events'
import {fileSystemProblems} from '../fs/problems.js'
import {chooseVolume, formatFlsLines, listVolumeJson, walkVolumeRuns} from '../image/listing.js'
import {openSource} from '../source/open.js'
import {terminalSafe, terminalSafeOutput} from '../terminal-text.js'
import {BufferedOutput} from './output.js'

export interface ImageLsOptions {
  recursive: boolean
  deleted: boolean
  json: boolean
  partition?: number
  snapshot?: number
}

/**
 * The body of `trawl image ls`, shared by the oclif command (commands/image/ls.ts) and
 * the direct start (src/cli/direct-start.ts): the listing as fls lines or one JSON
 * document, written to stdout in pieces of about 64 KiB, every field from the evidence
 * made terminal-safe as it is laid out. Damage the reader met (a damaged MFT record, a bad
 * directory block) is written to stderr after the listing, one line each.
 */
export async function runImageLs(image: string, path: string | undefined, flags: ImageLsOptions): Promise<void> {
  const source = await openSource(image, flags.snapshot === undefined ? {} : {snapshots: [flags.snapshot]})
  try {
    const options = {recursive: flags.recursive, deleted: flags.deleted, partition: flags.partition, snapshot: flags.snapshot}
    const volume = chooseVolume(source, flags.partition, flags.snapshot)
    if (flags.json) {
      // the document of a large volume is never held whole, nor scanned a second time
      for await (const piece of listVolumeJson(source, path, {...options, escape: terminalSafeOutput})) {
        if (!process.stdout.write(piece)) await once(process.stdout, 'drain')
      }
      process.stdout.write('\n')
    } else {
      // one system call per line was most of the time: lines go out in pieces
      const out = new BufferedOutput()
      for await (const run of walkVolumeRuns(volume.fs, path, {...options, brief: true})) {
        let full = false
        for (const entry of run) for (const line of formatFlsLines(entry, terminalSafe)) full = out.add(`${line}\n`) || full
        if (full) await out.flush()
      }
      await out.flush()
    }
    // damage the reader met: what the listing may leave out, and why (the JSON document has it too)
    const problems = fileSystemProblems(volume.fs)
    for (const problem of problems) process.stderr.write(`trawl: warning: ${terminalSafe(volume.id)}: ${terminalSafe(problem)}\n`)
    if (problems.length > 0) process.stderr.write(`trawl: warning: ${terminalSafe(volume.id)}: the file system is damaged; the listing shows what could be read, and leaves out what could not (see above)\n`)
  } finally {
    await source.close()
  }
}
