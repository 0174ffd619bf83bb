import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {snapshotFlag} from '../../src/cli/flags.js'
import {runImageLs} from '../../src/cli/image-ls.js'

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
    // the same body runs without oclif when bin/run.js starts it directly (src/cli/direct-start.ts)
    await runImageLs(args.image, args.path, flags)
  }
}
