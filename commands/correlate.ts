import {Args, Flags} from '@oclif/core'
import {TrawlCommand} from '../src/cli/command.js'
import {renderCorrelation} from '../src/cli/render-correlate.js'
import {correlate, writeCorrelation} from '../src/correlate/correlate.js'
import {ExitCode} from '../src/errors.js'

export default class Correlate extends TrawlCommand {
  static override summary = 'Find the phone numbers, accounts, cameras, pictures and networks that bundles of different cases share'
  static override description =
    'Verifies every bundle first (a bundle that does not verify, or whose signer is none of the --cert/--ca given, is refused and takes no part), then links identifiers shared by bundles of different cases or evidence items: phone numbers (E.164), e-mail addresses, chat accounts and groups, camera bodies (make, model, serial), pictures (identical SHA-256, or PDQ hashes within --pdq-threshold), Wi-Fi networks (SSID with gateway MAC), and with --domains visited domains. Each link cites the records on both sides. --out writes correlation.json, correlation.graphml and correlation.graph.json. Exit 1 when a bundle was refused.'
  static override examples = [
    '<%= config.bin %> correlate --cert lab-a.pem --cert lab-b.pem case-a.zip case-b.zip case-c.zip',
    '<%= config.bin %> correlate --ca lab-ca.pem --country-code 49 --out links/ /cases/*/bundle.zip',
  ]

  static override strict = false
  static override args = {bundles: Args.string({description: 'bundles to correlate (two or more)', required: true})}
  static override flags = {
    cert: Flags.string({description: 'a certificate bundles may be signed with (PEM); repeatable, one per examiner', multiple: true, multipleNonGreedy: true}),
    ca: Flags.string({description: 'a CA certificate bundle signers may be issued by (PEM); repeatable', multiple: true, multipleNonGreedy: true}),
    'allow-untrusted': Flags.boolean({description: 'correlate bundles whose signer is checked against nothing (said in the output)'}),
    'country-code': Flags.string({description: 'country calling code for national phone numbers (49 reads 0170 1234567 as +491701234567)'}),
    domains: Flags.boolean({description: 'also link visited domains (common sites link unrelated cases: review them)'}),
    'pdq-threshold': Flags.integer({description: 'PDQ Hamming distance up to which two pictures match (default 31, as PDQ recommends)', min: 0, max: 256}),
    out: Flags.string({description: 'folder to write correlation.json, correlation.graphml and correlation.graph.json into'}),
    json: Flags.boolean({description: 'print the result as JSON'}),
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Correlate)
    const countryCode = flags['country-code']?.replace(/^\+/, '')
    if (countryCode !== undefined && !/^\d{1,3}$/.test(countryCode)) this.error('--country-code is a calling code of 1 to 3 digits (1, 44, 49)', {exit: ExitCode.unusable})
    const result = await correlate(argv as string[], {
      certs: flags.cert,
      cas: flags.ca,
      allowUntrusted: flags['allow-untrusted'],
      countryCode,
      domains: flags.domains,
      pdqThreshold: flags['pdq-threshold'],
    })
    const written = flags.out ? writeCorrelation(result, flags.out) : []
    if (flags.json) this.printJson(result)
    else this.print(result, renderCorrelation)
    if (!flags.json) for (const path of written) this.log(`wrote ${path}`)
    if (result.refused.length > 0) this.exit(ExitCode.invalid)
  }
}
