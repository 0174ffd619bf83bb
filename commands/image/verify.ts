import {Args, Command, Flags} from '@oclif/core'
import {ExitCode, TrawlError} from '../../src/errors.js'
import {formatVerification, verifyImage} from '../../src/image/verify.js'

export default class ImageVerify extends Command {
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
    let result
    try {
      // A terabyte takes hours: show progress on a terminal, never in redirected output.
      let shown = -1
      const onProgress = process.stderr.isTTY
        ? (done: number, total: number) => {
            const percent = Math.floor((done / total) * 100)
            if (percent !== shown) process.stderr.write(`\rverifying ${percent}%`)
            shown = percent
          }
        : undefined
      result = await verifyImage(args.image, {onProgress})
      if (onProgress) process.stderr.write('\r\x1b[K')
    } catch (error) {
      if (error instanceof TrawlError) this.error(error.message, {exit: error.exitCode})
      throw error
    }
    this.log(flags.json ? JSON.stringify(result, null, 2) : formatVerification(result))
    if (result.verdict === 'mismatch') this.exit(ExitCode.invalid)
  }
}
