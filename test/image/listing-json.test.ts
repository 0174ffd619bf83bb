import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {FileEntry} from '../../src/fs/types.js'
import {indentedJson} from '../../src/indented-json.js'
import {formatFlsLines, listVolume, listVolumeJson, listedFileJson, toListedFile, walkVolume} from '../../src/image/listing.js'
import {NtfsFileSystem} from '../../src/ntfs/index.js'
import type {EvidenceSource} from '../../src/source/types.js'
import {terminalSafe, terminalSafeFields, terminalSafeOutput} from '../../src/terminal-text.js'
import {MemoryByteSource} from '../helpers/memory-source.js'
import {fixtureImage} from '../ntfs/ntfs-fixtures.js'

// The fast layouts of `image ls` (issue 15) against the plain ones they replaced:
// JSON.stringify(listing, null, 2), then terminalSafeOutput over the whole document, and
// formatFlsLines(terminalSafeFields(entry)). Same text, byte for byte.

/** What JSON.stringify(value, null, 2) gives the value placed `depth` levels deep. */
function reference(value: unknown, depth: number): string | undefined {
  const text = JSON.stringify(value, null, 2) as string | undefined
  return text?.replaceAll('\n', `\n${'  '.repeat(depth)}`)
}

// strings from every corner: quotes, backslashes, controls, C1, bidi, separators, lone surrogates, astral
const nasty = fc.oneof(
  fc.string(),
  fc.string({unit: 'binary'}),
  fc.string({unit: fc.constantFrom('"', '\\', '\n', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u00ad', '\u202e', '\u2028', '\ud800', '\udc00', '\u{e0001}', 'é', '文', 'a', ' ')}),
)

const value = fc.letrec((tie) => ({
  value: fc.oneof(
    {depthSize: 'small'},
    nasty,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), {maxLength: 4}),
    fc.dictionary(nasty, tie('value'), {maxKeys: 4}),
    fc.date({noInvalidDate: true}),
  ),
})).value

const times = fc.record({modified: nasty, accessed: nasty, changed: nasty, created: nasty}, {requiredKeys: []})
const entry: fc.Arbitrary<FileEntry> = fc.record(
  {
    path: nasty,
    name: nasty,
    kind: fc.constantFrom('file', 'directory', 'symlink', 'other'),
    size: fc.oneof(fc.nat(), fc.constant(Number.NaN)),
    times,
    fileNameTimes: fc.array(fc.record({name: nasty, namespace: fc.option(nasty, {nil: undefined}), modified: nasty, created: nasty}, {requiredKeys: ['name']}), {maxLength: 3}),
    inode: nasty,
    deleted: fc.boolean(),
    streams: fc.array(fc.record({name: nasty, size: fc.nat()}), {maxLength: 3}),
    linkTarget: nasty,
    attributes: fc.array(nasty, {maxLength: 3}),
    unreadable: nasty,
  },
  {requiredKeys: ['path', 'name', 'kind', 'size', 'times']},
) as fc.Arbitrary<FileEntry>

describe('image ls: the fast JSON and line layouts', () => {
  it('indentedJson lays out any value as JSON.stringify(value, null, 2) does at that depth', () => {
    fc.assert(
      fc.property(value, fc.nat({max: 4}), (v, depth) => {
        expect(indentedJson(v, depth)).toBe(reference(v, depth))
        // escaping each string as it is laid out gives the document escaped as a whole
        const plain = reference(v, depth)
        expect(indentedJson(v, depth, terminalSafeOutput)).toBe(plain === undefined ? undefined : terminalSafeOutput(plain))
      }),
      {numRuns: 2000},
    )
  })

  it('an entry is laid out as JSON.stringify(toListedFile(entry)) inside the document, escaped as the whole document was', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const plain = reference(toListedFile(e), 2)!
        expect(listedFileJson(e)).toBe(plain)
        expect(listedFileJson(e, terminalSafeOutput)).toBe(terminalSafeOutput(plain))
      }),
      {numRuns: 2000},
    )
  })

  it('fls lines escaped field by field are the lines of the escaped copy of the entry', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(formatFlsLines(e, terminalSafe)).toEqual(formatFlsLines(terminalSafeFields(e)))
      }),
    )
  })

  it('terminal-safe text: printable ASCII passes as it is, anything else as the full scan escapes it', () => {
    const full = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u
    fc.assert(
      fc.property(nasty, (s) => {
        if (!full.test(s)) expect(terminalSafe(s)).toBe(s)
        expect(terminalSafe(s)).not.toMatch(full)
        expect(terminalSafeOutput(s).replace(/[\n\t]/g, '')).not.toMatch(full)
      }),
    )
  })

  for (const name of ['main', 'c512', 'c64k']) {
    it(`lists the NTFS fixture ${name} as the plain layout did, deleted entries too`, async () => {
      const fs = new NtfsFileSystem(new MemoryByteSource(fixtureImage(name)))
      const source: EvidenceSource = {description: {kind: 'image', path: `${name}.img\u202e\n`}, volumes: [{id: 'vol', description: {scheme: 'none'}, fs}], close: async () => {}}
      for (const options of [{recursive: true}, {recursive: true, deleted: true}, {recursive: false}]) {
        let fast = ''
        for await (const piece of listVolumeJson(source, '', options)) fast += piece
        const plain = JSON.stringify(await listVolume(source, '', options), null, 2)
        expect(fast).toBe(plain)
        let escaped = ''
        for await (const piece of listVolumeJson(source, '', {...options, escape: terminalSafeOutput})) escaped += piece
        expect(escaped).toBe(terminalSafeOutput(plain))
        const lines: string[] = []
        const plainLines: string[] = []
        for await (const e of walkVolume(fs, '', options)) {
          lines.push(...formatFlsLines(e, terminalSafe))
          plainLines.push(...formatFlsLines(terminalSafeFields(e)))
        }
        expect(lines).toEqual(plainLines)
        expect(lines.length).toBeGreaterThan(10)
      }
    })
  }
})
