import {Flags} from '@oclif/core'
import type {SignerFiles} from '../bundle/keys.js'

/** How a command that signs is given its examiner's key: PEM key + certificate, or a PKCS#12 file. */
export const signerFlags = {
  key: Flags.string({description: 'signing key (PEM, PKCS#8)'}),
  cert: Flags.string({description: 'signing certificate (PEM)'}),
  p12: Flags.string({description: 'PKCS#12 file with key and certificate (instead of --key/--cert)'}),
  'passphrase-env': Flags.string({description: 'name of the environment variable holding the key passphrase (never the passphrase itself)'}),
}

/** The signer flags as the engine takes them. */
export function signerOptions(flags: {key?: string; cert?: string; p12?: string; 'passphrase-env'?: string}): SignerFiles {
  return {key: flags.key, cert: flags.cert, p12: flags.p12, passphraseEnv: flags['passphrase-env']}
}

/** `--snapshot N`: read a volume as its Volume Shadow Copy N holds it (numbers as `trawl image info` lists them). */
export const snapshotFlag = {
  snapshot: Flags.integer({description: 'read the volume as its shadow copy N held it (vssN as `trawl image info` lists it; oldest is 1)', min: 1}),
}
