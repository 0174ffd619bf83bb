import archiver from 'archiver'
import {createWriteStream} from 'node:fs'
import {BundleZip} from '../../src/bundle/zip-reader.js'

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
