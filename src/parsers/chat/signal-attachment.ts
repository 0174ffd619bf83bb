/**
 * Signal Desktop's encrypted attachment files (attachment version 2, from Signal Desktop 7.x):
 * each file in attachments.noindex is
 *
 *   IV (16 bytes) | AES-256-CBC ciphertext of (plaintext | zero padding), PKCS#7 | HMAC-SHA256 (32 bytes)
 *
 * under the attachment's `localKey` (base64 of 64 bytes: the AES key, then the HMAC key), kept
 * in the database row (message_attachments, or the message json before schema 1360). The HMAC
 * covers the IV and the ciphertext. The plaintext is padded with zeros to a size bucket before
 * encryption, so it is cut to the row's `size`; `plaintextHash` (SHA-256, hex) is the hash of
 * the cut plaintext. (Signal Desktop ts/AttachmentCrypto.ts: encryptAttachmentV2 and
 * decryptAttachmentV2ToSink, read for the layout.)
 *
 * Nothing is written here: the caller gets the plaintext, or the reason there is none.
 */
import {createDecipheriv, createHash, createHmac, timingSafeEqual} from 'node:crypto'

const IV_LENGTH = 16
const MAC_LENGTH = 32
const KEY_SET_LENGTH = 64
/** Signal Desktop refuses attachments over 100 MiB; past this a file is not decrypted in memory. */
export const MAX_DECRYPTED_ATTACHMENT = 256 * 1024 * 1024

export type PlaintextHashCheck = 'matches' | 'differs' | 'not recorded'

export type AttachmentDecryption =
  | {plaintext: Buffer; plaintextHash: PlaintextHashCheck; paddedSize: number}
  | {notDecrypted: string}

/** The plaintext of an encrypted attachment file, checked by its HMAC (and plaintextHash where the row has one). */
export function decryptSignalAttachment(file: Buffer, localKey: string, size: number | null, plaintextHash: string | null): AttachmentDecryption {
  const keys = Buffer.from(localKey, 'base64')
  if (keys.length !== KEY_SET_LENGTH) return {notDecrypted: `the localKey is ${keys.length} bytes, not ${KEY_SET_LENGTH} (an AES-256 key and an HMAC-SHA256 key)`}
  if (file.length > MAX_DECRYPTED_ATTACHMENT) return {notDecrypted: `the file is ${file.length} bytes, over the ${MAX_DECRYPTED_ATTACHMENT} decrypted in memory`}
  const body = file.length - IV_LENGTH - MAC_LENGTH
  if (body < 16 || body % 16 !== 0) return {notDecrypted: `the file is ${file.length} bytes: not IV + whole AES blocks + HMAC, so not an attachment encrypted by Signal (or truncated)`}
  const aesKey = keys.subarray(0, 32)
  const macKey = keys.subarray(32)
  const theirMac = file.subarray(file.length - MAC_LENGTH)
  const ourMac = createHmac('sha256', macKey).update(file.subarray(0, file.length - MAC_LENGTH)).digest()
  if (!timingSafeEqual(ourMac, theirMac)) return {notDecrypted: 'the HMAC-SHA256 does not match under the localKey: the file is damaged, or is not the one this row encrypted'}
  let padded: Buffer
  try {
    const decipher = createDecipheriv('aes-256-cbc', aesKey, file.subarray(0, IV_LENGTH))
    padded = Buffer.concat([decipher.update(file.subarray(IV_LENGTH, file.length - MAC_LENGTH)), decipher.final()])
  } catch {
    return {notDecrypted: 'the HMAC matches but the AES-CBC padding does not: not decrypted'}
  }
  if (size === null) return {notDecrypted: `the row records no size, so the ${padded.length} decrypted bytes cannot be cut from their padding`}
  if (size > padded.length) return {notDecrypted: `the row's size (${size}) is more than the ${padded.length} bytes the file decrypts to`}
  const plaintext = padded.subarray(0, size)
  const check: PlaintextHashCheck =
    plaintextHash === null ? 'not recorded' : createHash('sha256').update(plaintext).digest('hex') === plaintextHash.toLowerCase() ? 'matches' : 'differs'
  return {plaintext, plaintextHash: check, paddedSize: padded.length}
}
