import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {runImageVerify} from '../../src/cli/image-verify.js'

export default class ImageVerify extends TrawlCommand {
  static override summary = 'Recompute the MD5 and SHA-1 of the media data and compare them with the hashes stored in an EWF image'
  static override description = 'Exits 0 when every stored hash matches (or the format stores none: raw images print their hashes), 1 on a mismatch.'
  static override examples = ['<%= config.bin %> image verify evidence/disk.E01']
  static override args = {
    image: Args.string({required: true, description: 'image file (any segment of a split or EWF image)'}),
  }
  static override flags = {
    json: Flags.boolean({description: 'print one JSON document', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageVerify)
    // the same body runs without oclif when bin/run.js starts it directly (src/cli/direct-start.ts)
    const code = await runImageVerify(args.image, flags.json, {log: (text) => this.log(text)})
    if (code !== 0) this.exit(code)
  }
}
