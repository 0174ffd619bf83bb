/**
 * Electron safeStorage on Windows (Chromium OSCrypt, components/os_crypt/sync/os_crypt_win.cc):
 * an app's secret (Signal Desktop's database key in config.json "encryptedKey", hex) is
 *
 *   "v10" | nonce (12 bytes) | AES-256-GCM ciphertext | tag (16 bytes)
 *
 * under a 32-byte key that `Local State` os_crypt.encrypted_key holds as base64 of "DPAPI" and a
 * DPAPI blob of the user. Unwrapping the blob needs DPAPI (src/live/dpapi.ts on a live machine);
 * the rest is done here. Chromium's app-bound keys (app_bound_encrypted_key, "v20") are not
 * used by Electron apps and are not read.
 */
import {createDecipheriv} from 'node:crypto'

const DPAPI_PREFIX = 'DPAPI'

/** The DPAPI blob of Local State os_crypt.encrypted_key, or why there is none. */
export function localStateKeyBlob(localStateText: string): {blob: Buffer} | {problem: string} {
  let state: {os_crypt?: {encrypted_key?: unknown}}
  try {
    state = JSON.parse(localStateText) as typeof state
  } catch {
    return {problem: 'Local State is not JSON'}
  }
  const key = state?.os_crypt?.encrypted_key
  if (typeof key !== 'string') return {problem: 'Local State holds no os_crypt.encrypted_key'}
  const bytes = Buffer.from(key, 'base64')
  if (bytes.subarray(0, 5).toString('latin1') !== DPAPI_PREFIX) return {problem: `os_crypt.encrypted_key does not start with "DPAPI" (starts ${JSON.stringify(bytes.subarray(0, 5).toString('latin1'))})`}
  return {blob: bytes.subarray(5)}
}

/** The plaintext of a safeStorage string ("v10"/"v11" + nonce + AES-256-GCM) under the os_crypt key, or why not. */
export function decryptSafeStorage(encrypted: Buffer, osCryptKey: Buffer): {plaintext: Buffer} | {problem: string} {
  const prefix = encrypted.subarray(0, 3).toString('latin1')
  if (prefix !== 'v10' && prefix !== 'v11') return {problem: `not a safeStorage value of Windows (prefix ${JSON.stringify(prefix)}, not v10)`}
  if (osCryptKey.length !== 32) return {problem: `the os_crypt key is ${osCryptKey.length} bytes, not 32`}
  if (encrypted.length < 3 + 12 + 16) return {problem: `${encrypted.length} bytes: too short for nonce and tag`}
  const nonce = encrypted.subarray(3, 15)
  const tag = encrypted.subarray(encrypted.length - 16)
  try {
    const decipher = createDecipheriv('aes-256-gcm', osCryptKey, nonce)
    decipher.setAuthTag(tag)
    return {plaintext: Buffer.concat([decipher.update(encrypted.subarray(15, encrypted.length - 16)), decipher.final()])}
  } catch {
    return {problem: 'the AES-256-GCM tag does not match under the os_crypt key: not this key, or damaged'}
  }
}
