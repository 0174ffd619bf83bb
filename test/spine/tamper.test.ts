import {copyFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {crc32} from 'node:zlib'
import {beforeAll, describe, expect, it} from 'vitest'
import {verifyBundle} from '../../src/bundle/verify.js'
import {BundleZip} from '../../src/bundle/zip-reader.js'
import {REPO_ROOT} from '../helpers/shared.js'
import {rebuildBundle} from '../helpers/bundle-edit.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'

/** The verdict on a file: 'valid', or why not ('invalid: ...' / 'unusable: ...'). */
async function verdict(path: string, options: {cert?: string} = {}): Promise<string> {
  try {
    const report = await verifyBundle(path, options)
    return report.valid ? 'valid' : `invalid: ${report.problems[0]}`
  } catch (error) {
    return `unusable: ${(error as Error).message}`
  }
}

describe('tampering is always reported, never passed as valid', () => {
  const dir = scratchDir()
  const bundle = join(dir, 'sealed.zip')
  // a small bundle with every kind of entry (copies, parsed, sums, manifest, signature, custody) for the byte-flip sweep
  const small = join(dir, 'small.zip')
  let keys: Awaited<ReturnType<typeof makeKeys>>
  let forger: Awaited<ReturnType<typeof makeKeys>>
  let original: Buffer

  beforeAll(async () => {
    keys = await makeKeys(join(dir, 'keys'))
    forger = await makeKeys(join(dir, 'forger'), 'Test Examiner')
    const result = await trawl(['collect', '--allow-same-volume', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', bundle, '--case', 'T-1', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(result.code).toBe(0)
    const added = await trawl(['custody', 'add', bundle, '--action', 'transferred', '--by', 'Courier', ...keys.signArgs], {env: keys.env})
    expect(added.code).toBe(0)
    const smallResult = await trawl(['collect', '--allow-same-volume', '--source', join(REPO_ROOT, 'fixtures/sample/tree'), '--out', small, '--targets', 'hosts-file,wlan-profiles', '--case', 'T-2', '--examiner', 'Test Examiner', ...keys.signArgs], {env: keys.env})
    expect(smallResult.code).toBe(0)
    expect((await trawl(['custody', 'add', small, '--action', 'examined', '--by', 'Analyst', ...keys.signArgs], {env: keys.env})).code).toBe(0)
    original = readFileSync(small)
    expect(await verdict(bundle)).toBe('valid')
  })

  it('catches a flipped byte anywhere: every header, data, directory and end-record region of every entry', async () => {
    expect(await verdict(small)).toBe('valid')
    const zip = BundleZip.open(small)
    const positions = new Set<number>()
    for (const entry of zip.entries) {
      const nameEnd = entry.localHeaderOffset + 30 + Buffer.byteLength(entry.name)
      for (let p = entry.localHeaderOffset; p < entry.localHeaderOffset + 30; p++) positions.add(p)
      positions.add(nameEnd - 1)
      const dataLength = entry.compressedSize
      for (const f of [0, 0.25, 0.5, 0.75]) positions.add(entry.dataOffset + Math.floor(dataLength * f))
      positions.add(entry.dataOffset + dataLength - 1)
      for (let p = entry.dataOffset + dataLength; p < entry.end; p++) positions.add(p)
      for (let p = entry.centralRecordOffset; p < entry.centralRecordOffset + 46; p += 3) positions.add(p)
      positions.add(entry.centralRecordOffset + 46)
    }
    for (let p = zip.size - 22; p < zip.size; p++) positions.add(p)
    // and a stride over the whole file, so no region between the ones named is skipped
    for (let p = 0; p < zip.size; p += Math.max(1, Math.floor(zip.size / 150))) positions.add(p)
    zip.close()
    const passed: number[] = []
    const target = join(dir, 'flipped.zip')
    for (const position of positions) {
      for (const mask of [0xff, 0x01]) {
        const bytes = Buffer.from(original)
        bytes[position] ^= mask
        writeFileSync(target, bytes)
        if ((await verdict(target)) === 'valid') passed.push(position)
      }
    }
    expect(positions.size).toBeGreaterThan(400)
    expect(passed).toEqual([])
  }, 600_000)

  it('catches an entry replaced, added or removed, even in a well-formed rebuilt ZIP', async () => {
    const replaced = join(dir, 'replaced.zip')
    await rebuildBundle(bundle, replaced, (entries) =>
      entries.map((e) => (e.name.endsWith('/etc/hosts') ? {name: e.name, data: Buffer.from('127.0.0.1 localhost\n')} : e)),
    )
    expect(await verdict(replaced)).toMatch(/^invalid/)
    expect((await verifyBundle(replaced)).problems.join('\n')).toMatch(/etc\/hosts: SHA-256 does not match/)

    const added = join(dir, 'added.zip')
    await rebuildBundle(bundle, added, (entries) => [{name: 'files/dir/planted.jpg', data: Buffer.from('not evidence')}, ...entries])
    expect((await verifyBundle(added)).problems.join('\n')).toMatch(/planted\.jpg is not in the manifest/)

    const removed = join(dir, 'removed.zip')
    await rebuildBundle(bundle, removed, (entries) => entries.filter((e) => !e.name.endsWith('harbour.jpg')))
    expect((await verifyBundle(removed)).problems.join('\n')).toMatch(/harbour\.jpg is listed in the manifest but missing/)
  })

  it('catches a stripped signature and a swapped or re-made signature', async () => {
    const stripped = join(dir, 'stripped.zip')
    await rebuildBundle(bundle, stripped, (entries) => entries.filter((e) => e.name !== 'manifest.json.p7s'))
    expect(await verdict(stripped)).toMatch(/^invalid/)

    // a forger re-signs the unchanged manifest with a look-alike certificate (same subject)
    const {loadSigner} = await import('../../src/bundle/keys.js')
    const {signDetached} = await import('../../src/bundle/cms.js')
    const forgerSigner = loadSigner({key: forger.key, cert: forger.cert, passphrase: 'correct horse'})
    const swapped = join(dir, 'swapped.zip')
    await rebuildBundle(bundle, swapped, (entries) => {
      const manifest = entries.find((e) => e.name === 'manifest.json')!.data
      return entries.map((e) => (e.name === 'manifest.json.p7s' ? {name: e.name, data: signDetached(manifest, forgerSigner)} : e))
    })
    expect((await verifyBundle(swapped)).problems.join('\n')).toMatch(/certificate swapped/)

    // ... and even rewrites the manifest to name its own certificate: only pinning the examiner's certificate catches that
    const resealed = join(dir, 'resealed.zip')
    await rebuildBundle(bundle, resealed, (entries) => {
      const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString())
      manifest.signer.certificateSha256 = forgerSigner.certificate.fingerprint256
      const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)
      return entries.map((e) => (e.name === 'manifest.json' ? {name: e.name, data: bytes} : e.name === 'manifest.json.p7s' ? {name: e.name, data: signDetached(bytes, forgerSigner)} : e))
    })
    const pinned = await verifyBundle(resealed, {cert: keys.cert})
    expect(pinned.valid).toBe(false)
    expect(pinned.problems.join('\n')).toMatch(/not by the given certificate/)
    const cli = await trawl(['verify', resealed, '--cert', keys.cert])
    expect(cli.code).toBe(1)
  })

  it('catches a custody event edited, removed, reordered or forged', async () => {
    const zip = BundleZip.open(bundle)
    const log = (await zip.readEntry(zip.entry('custody.jsonl')!)).toString()
    zip.close()
    const lines = log.split('\n').slice(0, -1)
    expect(lines).toHaveLength(2)
    const variants: Record<string, string> = {
      edited: log.replace('"by":"Courier"', '"by":"Courler"'),
      removedFirst: `${lines[1]}\n`,
      reordered: `${lines[1]}\n${lines[0]}\n`,
      forged: `${lines[0]}\n${lines[1].replace('"action":"transferred"', '"action":"examined"')}\n`,
    }
    for (const [name, text] of Object.entries(variants)) {
      const path = join(dir, `custody-${name}.zip`)
      await rebuildBundle(bundle, path, (entries) => entries.map((e) => (e.name === 'custody.jsonl' ? {name: e.name, data: Buffer.from(text)} : e)))
      const report = await verifyBundle(path)
      expect(report.valid, name).toBe(false)
      expect(report.problems.some((p) => p.startsWith('custody event')), name).toBe(true)
    }
  })

  it('catches an edit that also fixes up the CRC-32 in both ZIP headers', async () => {
    // change one byte of the stored custody log and repair its CRC so ZIP tools see no damage
    const bytes = readFileSync(bundle)
    const zip = BundleZip.open(bundle)
    const entry = zip.entry('custody.jsonl')!
    zip.close()
    const data = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.size)
    const at = data.indexOf('Courier')
    data[at] = 'K'.charCodeAt(0)
    const crc = crc32(data) >>> 0
    bytes.writeUInt32LE(crc, entry.localHeaderOffset + 14)
    bytes.writeUInt32LE(crc, entry.centralRecordOffset + 16)
    const path = join(dir, 'crc-fixed.zip')
    writeFileSync(path, bytes)
    const report = await verifyBundle(path)
    expect(report.valid).toBe(false)
    expect(report.problems.join('\n')).toMatch(/custody event 2/)
    expect(original.length).toBeGreaterThan(0)
  })

  it('keeps the untouched bundle valid (the suite did not damage its own input)', async () => {
    copyFileSync(bundle, join(dir, 'again.zip'))
    expect(await verdict(join(dir, 'again.zip'), {cert: keys.cert})).toBe('valid')
  })
})
