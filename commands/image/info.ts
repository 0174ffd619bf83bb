import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {formatImageInfo, imageInfo} from '../../src/image/info.js'

export default class ImageInfo extends TrawlCommand {
  static override summary = 'Describe a disk image: format, media size, EWF case metadata and stored hashes, partitions and file systems'
  static override examples = ['<%= config.bin %> image info evidence/disk.E01', '<%= config.bin %> image info disk.dd --json']
  static override args = {
    image: Args.string({required: true, description: 'image file: raw (.dd/.raw/.img), any segment of a split raw or EWF (.E01) image, VHD or VHDX (a differencing disk with its parents beside it), QCOW2 (with its backing files), VMDK (its descriptor or monolithic file, with its extents and parents)'}),
  }
  static override flags = {
    json: Flags.boolean({description: 'print one JSON document', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageInfo)
    const info = await imageInfo(args.image)
    if (flags.json) this.printJson(info)
    else this.print(info, formatImageInfo)
  }
}
