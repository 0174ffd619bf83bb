import {Args, Command, Flags} from '@oclif/core'
import {TrawlError} from '../../src/errors.js'
import {formatImageInfo, imageInfo} from '../../src/image/info.js'

export default class ImageInfo extends Command {
  static override summary = 'Describe a disk image: format, media size, EWF case metadata and stored hashes, partitions and file systems'
  static override examples = ['<%= config.bin %> image info evidence/disk.E01', '<%= config.bin %> image info disk.dd --json']
  static override args = {
    image: Args.string({required: true, description: 'image file: raw (.dd/.raw/.img), any segment of a split raw or EWF (.E01) image'}),
  }
  static override flags = {
    json: Flags.boolean({description: 'print one JSON document', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageInfo)
    try {
      const info = await imageInfo(args.image)
      this.log(flags.json ? JSON.stringify(info, null, 2) : formatImageInfo(info))
    } catch (error) {
      if (error instanceof TrawlError) this.error(error.message, {exit: error.exitCode})
      throw error
    }
  }
}
