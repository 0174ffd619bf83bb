import archiver from 'archiver'
import {createWriteStream, renameSync, writeFileSync} from 'node:fs'
import {crc32} from 'node:zlib'
import {signDetached} from '../../src/bundle/cms.js'
import {eventLine, makeEvent} from '../../src/bundle/custody.js'
import type {Signer} from '../../src/bundle/keys.js'
import {CUSTODY_PATH, MANIFEST_PATH, SIGNATURE_PATH, SUMS_PATH, SUMS_SIGNATURE_PATH, UNLISTED_ENTRIES, serializeManifest, type Manifest} from '../../src/bundle/manifest.js'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {BundleZipWriter} from '../../src/bundle/zip-writer.js'

/**
 * Rebuilds a bundle with edited entries, as a forger with ordinary ZIP tools would:
 * `edit` receives the entries in order and returns the new list.
 */
export async function rebuildBundle(
  from: string,
  to: string,
  edit: (entries: Array<{name: string; data: Buffer}>) => Array<{name: string; data: Buffer}>,
): Promise<void> {
  const zip = BundleZip.open(from)
  const entries: Array<{name: string; data: Buffer}> = []
  for (const entry of zip.entries) entries.push({name: entry.name, data: await zip.readEntry(entry)})
  zip.close()
  const archive = archiver('zip')
  const out = createWriteStream(to)
  archive.pipe(out)
  for (const entry of edit(entries)) {
    const store = ['manifest.json', 'manifest.json.p7s', 'custody.jsonl'].includes(entry.name)
    archive.append(entry.data, {name: entry.name, date: new Date(0), store})
  }
  await archive.finalize()
  await new Promise<void>((resolve) => out.on('close', () => resolve()))
}

/**
 * Replaces the data of the bundle's last, stored entry (custody.jsonl) as a forger
 * who keeps every other byte would: the sealed prefix, the manifest and its
 * signature stay byte for byte; only that entry's header, data and the central
 * directory's sizes, CRC and offset change. (A small, non-ZIP64 bundle.)
 */
export function replaceLastEntry(from: string, to: string, data: Buffer): void {
  const zip = BundleZip.open(from)
  const entry = zip.entries[zip.entries.length - 1]
  const crc = crc32(data) >>> 0
  const kept = zip.read(0, entry.dataOffset)
  kept.writeUInt32LE(crc, entry.localHeaderOffset + 14)
  kept.writeUInt32LE(data.length, entry.localHeaderOffset + 18)
  kept.writeUInt32LE(data.length, entry.localHeaderOffset + 22)
  const centralDirectory = zip.read(entry.end, zip.size - entry.end)
  const record = entry.centralRecordOffset - entry.end
  centralDirectory.writeUInt32LE(crc, record + 16)
  centralDirectory.writeUInt32LE(data.length, record + 20)
  centralDirectory.writeUInt32LE(data.length, record + 24)
  centralDirectory.writeUInt32LE(entry.dataOffset + data.length, zip.endRecords.eocd - entry.end + 16)
  zip.close()
  writeFileSync(to, Buffer.concat([kept, data, centralDirectory]))
}

/**
 * Re-seals a bundle end to end with another signer, as a forger with trawl's own
 * code would: `edit` may change the files and the manifest (case, examiner, ...);
 * every listed hash, SHA256SUMS and its signature, the sealed prefix, the manifest
 * signature and a new custody chain are then made afresh and signed by `signer`.
 * The result is a bundle that verifies as valid, signed by someone else.
 */
export async function resealBundle(
  from: string,
  to: string,
  signer: Signer,
  edit: {files?: (name: string, data: Buffer) => Buffer; manifest?: (manifest: Manifest) => void} = {},
): Promise<void> {
  const zip = BundleZip.open(from)
  const entries: Array<{name: string; data: Buffer}> = []
  for (const entry of zip.entries) entries.push({name: entry.name, data: await zip.readEntry(entry)})
  zip.close()
  const manifest = JSON.parse(entries.find((e) => e.name === MANIFEST_PATH)!.data.toString('utf8')) as Manifest
  edit.manifest?.(manifest)
  const listed = new Map(manifest.entries.map((e) => [e.path, e]))
  const writer = new BundleZipWriter(`${to}.partial`)
  const record = (name: string, written: {size: number; sha256: string; sha1: string; md5: string}) => Object.assign(listed.get(name)!, {size: written.size, sha256: written.sha256, sha1: written.sha1, md5: written.md5})
  for (const {name, data} of entries) {
    if ([SUMS_PATH, SUMS_SIGNATURE_PATH, ...UNLISTED_ENTRIES].includes(name)) continue
    record(name, await writer.addBuffer(name, edit.files ? edit.files(name, data) : data))
  }
  const sums = Buffer.from(manifest.entries.filter((e) => e.kind !== 'sums').map((e) => `${e.sha256}  ${e.path}\n`).join(''), 'utf8')
  record(SUMS_PATH, await writer.addBuffer(SUMS_PATH, sums))
  record(SUMS_SIGNATURE_PATH, await writer.addBuffer(SUMS_SIGNATURE_PATH, signDetached(sums, signer)))
  const prefix = await writer.sealPrefix()
  manifest.archive = {sealedPrefixLength: prefix.length, sealedPrefixSha256: prefix.sha256}
  manifest.signer = {subject: signer.certificate.subject.replaceAll('\n', ', '), certificateSha256: signer.certificate.fingerprint256}
  const manifestBytes = serializeManifest(manifest)
  await writer.addBuffer(MANIFEST_PATH, manifestBytes, {store: true})
  await writer.addBuffer(SIGNATURE_PATH, signDetached(manifestBytes, signer), {store: true})
  const event = makeEvent({action: 'collected', by: manifest.case.examiner, note: 'collected by trawl', manifest: manifestBytes, seq: 1}, signer)
  await writer.addBuffer(CUSTODY_PATH, Buffer.from(`${eventLine(event)}\n`, 'utf8'), {store: true})
  await writer.finalize()
  renameSync(`${to}.partial`, to)
}
