import {Args, Flags} from '@oclif/core'
import {once} from 'node:events'
import {TrawlCommand} from '../../src/cli/command.js'
import {snapshotFlag} from '../../src/cli/flags.js'
import {BufferedOutput} from '../../src/cli/output.js'
import {chooseVolume, formatFlsLines, listVolumeJson, walkVolume} from '../../src/image/listing.js'
import {openSource} from '../../src/source/open.js'
import {terminalSafe, terminalSafeOutput} from '../../src/terminal-text.js'

export default class ImageLs extends TrawlCommand {
  static override summary = "List a volume's files, like fls -r -p"
  static override examples = [
    '<%= config.bin %> image ls disk.E01 --recursive',
    '<%= config.bin %> image ls disk.dd "Users/Alice" --partition 2 --deleted --json',
    '<%= config.bin %> image ls disk.E01 "Users/Alice/AppData" --partition 2 --snapshot 1 --recursive',
  ]
  static override args = {
    image: Args.string({required: true, description: 'image file (or a directory)'}),
    path: Args.string({required: false, description: "directory (or file) in the volume, '/'-separated; default: the root"}),
  }
  static override flags = {
    recursive: Flags.boolean({char: 'r', description: 'descend into subdirectories', default: false}),
    deleted: Flags.boolean({char: 'd', description: 'also list deleted entries', default: false}),
    partition: Flags.integer({char: 'p', description: 'partition number as `trawl image info` lists it (p1 = 1)', min: 1}),
    ...snapshotFlag,
    json: Flags.boolean({description: 'print one JSON document with sizes, MFT references, $SI and $FN times and streams', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageLs)
    const source = await openSource(args.image, flags.snapshot === undefined ? {} : {snapshots: [flags.snapshot]})
    try {
      const options = {recursive: flags.recursive, deleted: flags.deleted, partition: flags.partition, snapshot: flags.snapshot}
      if (flags.json) {
        // streamed in pieces of about 64 KiB, every string escaped as it is laid out: the
        // document of a large volume is never held whole, nor scanned a second time
        for await (const piece of listVolumeJson(source, args.path, {...options, escape: terminalSafeOutput})) {
          if (!process.stdout.write(piece)) await once(process.stdout, 'drain')
        }
        process.stdout.write('\n')
      } else {
        // every field escaped as it is formatted, then written in pieces of about 64 KiB (one system call per line was most of the time)
        const out = new BufferedOutput()
        const volume = chooseVolume(source, flags.partition, flags.snapshot)
        for await (const entry of walkVolume(volume.fs, args.path, options)) {
          for (const line of formatFlsLines(entry, terminalSafe)) await out.write(`${line}\n`)
        }
        await out.flush()
      }
    } finally {
      await source.close()
    }
  }
}
