import {once} from 'node:events'
import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {snapshotFlag} from '../../src/cli/flags.js'
import {openImageFile} from '../../src/image/extract.js'

export default class ImageCat extends TrawlCommand {
  static override summary = 'Write the byte-exact content of a file (or path:stream) in an image to stdout, like icat'
  static override examples = ['<%= config.bin %> image cat disk.E01 "Windows/System32/config/SYSTEM" > SYSTEM', '<%= config.bin %> image cat disk.dd "notes.txt:secret" --partition 1', '<%= config.bin %> image cat disk.E01 "Users/Alice/NTUSER.DAT" -p 2 --snapshot 1 > NTUSER.vss1.DAT']
  static override args = {
    image: Args.string({required: true, description: 'image file (or a directory)'}),
    path: Args.string({required: true, description: "file in the volume, '/'-separated; append :name for an alternate data stream"}),
  }
  static override flags = {
    partition: Flags.integer({char: 'p', description: 'partition number as `trawl image info` lists it (p1 = 1)', min: 1}),
    ...snapshotFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageCat)
    const file = await openImageFile(args.image, args.path, {partition: flags.partition, snapshot: flags.snapshot})
    try {
      // the file's own bytes, exactly (like icat): the one output that is data, not text for a terminal
      for await (const chunk of file.stream) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain')
      }
    } finally {
      await file.close()
    }
  }
}
