import {Args, Flags} from '@oclif/core'
import {createWriteStream, writeSync} from 'node:fs'
import {TrawlCommand} from '../../src/cli/command.js'
import {makePhashList} from '../../src/hashset/phash-list.js'

export default class PhashsetMake extends TrawlCommand {
  static override description =
    'Make a list of known pictures by PDQ hash, for collect --phashset: one line per JPEG, PNG, WebP or HEIC picture given or found under a folder (hash, then its path). --crops adds each picture cut by up to 5%, so that cropped copies are found too. Files that are not hashed are listed as # lines saying why.'

  static override examples = [
    '<%= config.bin %> phashset make known-pictures/ --out known.pdq',
    '<%= config.bin %> phashset make known-pictures/ --crops --out known-with-crops.pdq',
  ]

  static override strict = false

  static override args = {
    paths: Args.string({description: 'pictures, or folders searched for pictures', required: true}),
  }

  static override flags = {
    crops: Flags.boolean({description: 'also list each picture cut by 0, 2.5 or 5% at each edge (35 more hashes per picture)'}),
    out: Flags.string({char: 'o', description: 'write the list here (default: standard output)'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(PhashsetMake)
    const out = flags.out ? createWriteStream(flags.out, {flags: 'wx'}) : undefined
    const counts = await makePhashList(argv as string[], {
      crops: flags.crops,
      tool: `trawl ${this.config.version}`,
      write: out ? (line) => out.write(`${line}\n`) : (line) => writeSync(1, `${line}\n`),
    })
    if (out) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
    const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`
    this.logToStderr(`${n(counts.pictures, 'picture', 'pictures')} hashed, ${n(counts.hashes, 'hash', 'hashes')} listed${counts.lowQuality ? `, ${counts.lowQuality} too flat to list (quality under 50)` : ''}${counts.notHashed ? `, ${n(counts.notHashed, 'file', 'files')} not hashed (see the # lines)` : ''}`)
  }
}
