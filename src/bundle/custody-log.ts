import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {crc32} from 'node:zlib'
import {CorruptBundleError, ExitCode, OutputNotWritableError, TrawlError, errorMessage} from '../errors.js'
import {checkCustody, eventLine, makeEvent, type CustodyCheck, type SignedCustodyEvent} from './custody.js'
import type {Signer} from './keys.js'
import {CUSTODY_PATH, MANIFEST_PATH} from './manifest.js'
import {BundleZip} from './zip-reader.js'

/** A custody chain that is already broken: nothing is appended to it. */
export class CustodyChainError extends TrawlError {
  constructor(path: string, problems: string[]) {
    super(`custody chain of ${path} is broken, not appending: ${problems.join('; ')}`, ExitCode.invalid)
  }
}

async function readCustody(zip: BundleZip): Promise<{manifest: Buffer; log: string; check: CustodyCheck}> {
  const manifestEntry = zip.entry(MANIFEST_PATH)
  const custodyEntry = zip.entry(CUSTODY_PATH)
  if (!manifestEntry || !custodyEntry) throw new CorruptBundleError(zip.path, `no ${manifestEntry ? CUSTODY_PATH : MANIFEST_PATH}`)
  const manifest = await zip.readEntry(manifestEntry, 512 * 1024 * 1024)
  const log = (await zip.readEntry(custodyEntry)).toString('utf8')
  return {manifest, log, check: checkCustody(log, manifest)}
}

export async function showCustody(path: string): Promise<CustodyCheck> {
  return showCustodyOf(BundleZip.open(path))
}

/** The custody check of a bundle already opened (a file, or one decrypted into memory). */
export async function showCustodyOf(zip: BundleZip): Promise<CustodyCheck> {
  try {
    return (await readCustody(zip)).check
  } finally {
    zip.close()
  }
}

/**
 * Appends a signed custody event. Only the custody entry, the central directory
 * and the end records are rewritten: every byte before them, and so the seal of
 * the manifest, stays as it was. The new file replaces the old one atomically.
 */
export async function appendCustodyEvent(
  path: string,
  options: {action: string; by: string; note?: string},
  signer: Signer,
): Promise<{event: SignedCustodyEvent; check: CustodyCheck}> {
  const zip = BundleZip.open(path)
  let temp: string | undefined
  try {
    const {event, check, keep, header, data, centralDirectory} = await appendedTail(zip, options, signer)
    temp = `${path}.custody-${process.pid}`
    const out = openSync(temp, 'wx')
    try {
      copyRange(zip, out, keep)
      writeSync(out, header)
      writeSync(out, data)
      writeSync(out, centralDirectory)
      fsyncSync(out)
    } finally {
      closeSync(out)
    }
    zip.close()
    renameSync(temp, path)
    temp = undefined
    return {event, check}
  } catch (error) {
    if (error instanceof TrawlError) throw error
    throw new OutputNotWritableError(path, errorMessage(error))
  } finally {
    zip.close()
    if (temp) rmSync(temp, {force: true})
  }
}

/** The same append on a bundle held in memory (decrypted): the new bundle, also in memory. */
export async function appendCustodyEventInMemory(
  zip: BundleZip,
  options: {action: string; by: string; note?: string},
  signer: Signer,
): Promise<{event: SignedCustodyEvent; check: CustodyCheck; bundle: Buffer}> {
  const {event, check, keep, header, data, centralDirectory} = await appendedTail(zip, options, signer)
  return {event, check, bundle: Buffer.concat([zip.read(0, keep), header, data, centralDirectory])}
}

/**
 * What replaces the end of the bundle: everything before byte `keep` stays, then the custody
 * entry's new header and data, then the central directory and end records with the new sizes.
 */
async function appendedTail(
  zip: BundleZip,
  options: {action: string; by: string; note?: string},
  signer: Signer,
): Promise<{event: SignedCustodyEvent; check: CustodyCheck; keep: number; header: Buffer; data: Buffer; centralDirectory: Buffer}> {
  const path = zip.path
  {
    const custodyEntry = zip.entry(CUSTODY_PATH)
    if (!custodyEntry || zip.entries[zip.entries.length - 1] !== custodyEntry || custodyEntry.method !== 0 || custodyEntry.flags & 0x0008) {
      throw new CorruptBundleError(path, `${CUSTODY_PATH} is not the last, stored entry of the bundle`)
    }
    const {manifest, log, check} = await readCustody(zip)
    if (check.problems.length > 0) throw new CustodyChainError(path, check.problems)
    const lines = log.split('\n').slice(0, -1)
    const event = makeEvent({...options, previousLine: lines[lines.length - 1], manifest, seq: lines.length + 1}, signer)
    const data = Buffer.from(`${log}${eventLine(event)}\n`, 'utf8')
    const crc = crc32(data) >>> 0

    const header = zip.read(custodyEntry.localHeaderOffset, custodyEntry.dataOffset - custodyEntry.localHeaderOffset)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(data.length, 18)
    header.writeUInt32LE(data.length, 22)
    const oldEnd = custodyEntry.end
    const centralDirectory = zip.read(oldEnd, zip.size - oldEnd)
    const record = custodyEntry.centralRecordOffset - oldEnd
    centralDirectory.writeUInt32LE(crc, record + 16)
    centralDirectory.writeUInt32LE(data.length, record + 20)
    centralDirectory.writeUInt32LE(data.length, record + 24)
    const newCdOffset = custodyEntry.dataOffset + data.length
    const {eocd, eocd64, locator64} = zip.endRecords
    if (eocd64 !== undefined && locator64 !== undefined) {
      centralDirectory.writeBigUInt64LE(BigInt(newCdOffset), eocd64 - oldEnd + 48)
      centralDirectory.writeBigUInt64LE(BigInt(newCdOffset + (eocd64 - oldEnd)), locator64 - oldEnd + 8)
    } else {
      if (newCdOffset >= 0xffffffff) throw new CorruptBundleError(path, 'the custody log would move the central directory past 4 GiB in a non-ZIP64 bundle')
      centralDirectory.writeUInt32LE(newCdOffset, eocd - oldEnd + 16)
    }
    return {event, check, keep: custodyEntry.localHeaderOffset, header, data, centralDirectory}
  }
}

function copyRange(zip: BundleZip, out: number, length: number): void {
  const chunk = 4 * 1024 * 1024
  for (let offset = 0; offset < length; offset += chunk) {
    writeSync(out, zip.read(offset, Math.min(chunk, length - offset)))
  }
}
