import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../../src/cli/command.js'
import {ExitCode} from '../../src/errors.js'
import {formatVerification, verifyImage} from '../../src/image/verify.js'

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
    // A terabyte takes hours: show progress on a terminal, never in redirected output.
    let shown = -1
    const onProgress = process.stderr.isTTY
      ? (done: number, total: number) => {
          const percent = Math.floor((done / total) * 100)
          if (percent !== shown) process.stderr.write(`\rverifying ${percent}%`)
          shown = percent
        }
      : undefined
    const result = await verifyImage(args.image, {onProgress})
    if (onProgress) process.stderr.write('\r\x1b[K')
    if (flags.json) this.printJson(result)
    else this.print(result, formatVerification)
    if (result.verdict === 'mismatch') this.exit(ExitCode.invalid)
  }
}
