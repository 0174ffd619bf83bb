// npm run kit -- --out DIR [--platform win-x64,linux-x64] [--key K --cert C | --p12 P] [--passphrase-env VAR]
// Builds the USB field kit (src/kit/build.ts); runtimes and dependencies are cached in ~/.cache/trawl-kit.
import {parseArgs} from 'node:util'
import {buildKit, parsePlatforms} from '../dist/src/kit/build.js'

const {values} = parseArgs({
  options: {
    out: {type: 'string'},
    platform: {type: 'string'},
    key: {type: 'string'},
    cert: {type: 'string'},
    p12: {type: 'string'},
    'passphrase-env': {type: 'string'},
    cache: {type: 'string'},
  },
})
if (!values.out) {
  console.error('usage: npm run kit -- --out DIR [--platform win-x64,linux-x64] [--key key.pem --cert cert.pem | --p12 file.p12] [--passphrase-env VAR]')
  process.exit(2)
}
const t0 = Date.now()
try {
  const result = buildKit({
    out: values.out,
    platforms: parsePlatforms(values.platform),
    key: values.key,
    cert: values.cert,
    p12: values.p12,
    passphraseEnv: values['passphrase-env'],
    cacheDir: values.cache,
    log: (line) => console.error(`kit: ${line}`),
  })
  console.log(`Field kit:       ${result.out}  (${result.files} files, ${(result.bytes / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  console.log(`Kit manifest:    SHA-256 ${result.manifestSha256}`)
  console.log(`Signed by:       ${result.signer.subject}${result.signer.buildKey ? '  (BUILD KEY: proves the files unchanged, not who built them)' : ''}`)
  console.log(`Certificate:     SHA-256 ${result.signer.certificateSha256}${result.signer.certPath ? `  (${result.signer.certPath}: keep it off the stick for \`trawl kit verify --cert\`)` : ''}`)
} catch (error) {
  console.error(`kit: ${error.message}`)
  process.exit(error.exitCode ?? 1)
}
