/**
 * Discord's HTTP disk cache (%APPDATA%\discord\Cache\Cache_Data; also PTB and Canary), a
 * Chromium disk cache: the pictures the client showed (attachments from cdn.discordapp.com,
 * resized ones and embeds from media.discordapp.net, avatars, emoji) and API responses from
 * discord.com/api (JSON: messages, users, guilds).
 *
 * Windows Discord writes the blockfile backend: the definition matches `index`, and the parser
 * collects the folder's other files by what the cache itself records (data_0..data_3 and the
 * block files their headers chain to, f_000001 up to the index's last external file), each
 * copied and hashed byte-exact, then reads every entry (src/chromium-cache). On Linux and macOS
 * the simple backend writes one file per entry: the definition matches each `<hash>_0` file
 * (a parser cannot list a folder, and index-dir/the-real-index is rewritten lazily, so it
 * names fewer entries than the folder holds); its `_1` and `_s` files are collected with it.
 *
 * One chat.cache-entry record per entry (and a chat.cache-index per cache): URL (from the double key), status, content type and
 * encoding, the HTTP dates, the cache's own times, the body's size and SHA-256 as stored,
 * where its bytes are (file and offset), and for pictures and JSON the body itself (decoded
 * when gzip, deflate or br) as a derived entry of the bundle (derived/<the cache file>.<offset>.<ext>,
 * naming the collected cache file it was cut from and how), once per distinct body; a derived
 * picture is read for EXIF and PDQ like a collected one, so known-picture lists see it.
 * A resource fetched by byte ranges (a video an attachment player streamed) is a sparse parent
 * with one child entry per MiB (blockfile) or an `_s` file (simple): its record lists the ranges
 * held and where their bytes are.
 * Coverage: every index slot and entry; entries no slot reaches (orphans) become records
 * marked as such; entries whose headers or body could not be read whole are counted as
 * unresolved, each record listing its problems.
 */
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync} from 'node:zlib'
import {createHash} from 'node:crypto'
import {ParseError, errorMessage} from '../../errors.js'
import {
  headerValue, httpDateToIso, isBlockfileIndex, isSimpleCacheFile, lastExternalFile, readBlockFileHeader, readBlockfileCache, readSimpleEntry, readSimpleRealIndex, readSimpleSparse, simpleEntryFileName,
} from '../../chromium-cache/index.js'
import type {CacheContents, CacheEntry, CacheFolder} from '../../chromium-cache/index.js'
import type {TableCoverage} from '../coverage.js'
import type {CollectedFile, ParsedRecord, Parser, ParserInput, RecordSource} from '../types.js'

const PARSER_ID = 'discord-cache'
/** More f_ files than this are not probed (the index's last_file would be damaged). */
const MAX_EXTERNAL_FILES = 0x100000

/**
 * Puts a decoded body into the bundle once per parse (content-addressed: one picture cached
 * under several URLs is one derived entry) and returns its bundle path, or why it is not there.
 */
type Extract = (data: Buffer, sha256: string, ext: string, place: {file: string; offset: number; size: number}, how: string) => Promise<{path: string} | {note: string}>

function extractorFor(input: ParserInput): Extract {
  const done = new Map<string, Promise<{path: string} | {note: string}>>()
  return (data, key, ext, place, how) => {
    let result = done.get(key)
    if (!result) {
      result = input.addDerived
        ? input
            .addDerived({from: place.file, suffix: `.${place.offset}.${ext}`, method: `Chromium disk cache body: ${data.length} bytes ${how} from byte ${place.offset} of the collected cache file (${place.size} bytes stored)`, data})
            .then((d) => ({path: d.bundlePath}))
        : Promise.resolve({note: 'not extracted: this run writes no bundle to hold it'})
      done.set(key, result)
    }
    return result
  }
}

export interface DiscordResource {
  /** attachment, media (media.discordapp.net), avatar, icon, emoji, banner, sticker, api, other. */
  kind: string
  channelId?: string
  attachmentId?: string
  userId?: string
  filename?: string
  apiPath?: string
}

const DISCORD_HOSTS = /(^|\.)(discord\.com|discordapp\.com|discordapp\.net|discord\.gg|discord\.media)$/i

/** What a cached URL is to Discord, read from its host and path; null for other hosts. */
export function discordResource(url: string | null): DiscordResource | null {
  if (!url) return null
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if (!DISCORD_HOSTS.test(u.hostname)) return null
  const parts = u.pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p))
  const attachment = /^(ephemeral-)?attachments$/.test(parts[0] ?? '')
  if (attachment && parts.length >= 4) {
    const kind = /^media\./i.test(u.hostname) ? 'media' : 'attachment'
    return {kind, channelId: parts[1], attachmentId: parts[2], filename: parts.slice(3).join('/')}
  }
  if (parts[0] === 'avatars' && parts.length >= 3) return {kind: 'avatar', userId: parts[1], filename: parts[2]}
  if (parts[0] === 'api') return {kind: 'api', apiPath: `/${parts.join('/')}${u.search}`}
  const simple: Record<string, string> = {icons: 'icon', emojis: 'emoji', banners: 'banner', stickers: 'sticker', 'embed': 'embed', 'external': 'external'}
  if (parts[0] && simple[parts[0]]) return {kind: simple[parts[0]], filename: parts[parts.length - 1]}
  return {kind: 'other'}
}

const EXTENSIONS: Array<[RegExp, string]> = [
  [/^image\/png$/i, 'png'], [/^image\/jpe?g$/i, 'jpg'], [/^image\/gif$/i, 'gif'], [/^image\/webp$/i, 'webp'], [/^image\/avif$/i, 'avif'],
  [/^image\/svg\+xml$/i, 'svg'], [/^image\/(x-icon|vnd\.microsoft\.icon)$/i, 'ico'], [/^image\/bmp$/i, 'bmp'], [/(^|\+)json$|^application\/json$/i, 'json'],
]
const MAGIC: Array<[Buffer, string]> = [
  [Buffer.from('89504e470d0a1a0a', 'hex'), 'png'], [Buffer.from('ffd8ff', 'hex'), 'jpg'], [Buffer.from('GIF8'), 'gif'], [Buffer.from('RIFF'), 'webp'],
]

/** The extension a body is extracted with: from its content type, else from its first bytes; null when it is neither picture nor JSON. */
export function extractedExtension(contentType: string | null, body: Buffer): string | null {
  const type = (contentType ?? '').split(';')[0].trim()
  for (const [re, ext] of EXTENSIONS) if (re.test(type)) return ext
  if (/^image\//i.test(type)) return type.slice(6).replace(/[^a-z0-9]/gi, '') || 'img'
  for (const [magic, ext] of MAGIC) if (body.subarray(0, magic.length).equals(magic) && (ext !== 'webp' || body.subarray(8, 12).toString('latin1') === 'WEBP')) return ext
  return null
}

/** The body as the server meant it: undone content-encoding (gzip, deflate, br); null with a reason when it cannot be. */
export function decodeBody(body: Buffer, encoding: string | null): {data: Buffer | null; note: string | null} {
  const codings = (encoding ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity')
  let data = body
  try {
    for (const coding of codings.reverse()) {
      if (coding === 'gzip' || coding === 'x-gzip') data = gunzipSync(data)
      else if (coding === 'br') data = brotliDecompressSync(data)
      else if (coding === 'deflate') {
        try {
          data = inflateSync(data)
        } catch {
          data = inflateRawSync(data)
        }
      } else return {data: null, note: `content-encoding ${coding} is not one trawl decodes: the body is kept as stored`}
    }
  } catch (error) {
    return {data: null, note: `content-encoding ${encoding} could not be undone (${errorMessage(error)}): the body is kept as stored (cut short?)`}
  }
  return {data, note: null}
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** A cache folder read from the working copies the collector made, each file read once. */
class CollectedCacheFolder implements CacheFolder {
  readonly files = new Map<string, CollectedFile>()
  private readonly buffers = new Map<string, Buffer>()

  constructor(private readonly mainName: string, private readonly mainCopy: string) {}

  read(name: string): Buffer | undefined {
    const cached = this.buffers.get(name)
    if (cached) return cached
    const path = name === this.mainName ? this.mainCopy : this.files.get(name)?.copyPath
    if (!path) return undefined
    const data = readFileSync(path)
    // block files and the index are read many times; f_ files and entry files once
    if (!name.startsWith('f_')) this.buffers.set(name, data)
    return data
  }
}

export const discordCacheParser: Parser = {
  id: PARSER_ID,
  description: 'Discord desktop HTTP disk cache (Chromium blockfile or simple backend): every cached picture, attachment and API response with its URL, headers, times and SHA-256; pictures and JSON extracted into the bundle',
  accepts: (head) => isBlockfileIndex(head) || isSimpleCacheFile(head),
  async *parse(input: ParserInput): AsyncIterable<ParsedRecord> {
    const head = readFileSync(input.copyPath)
    const name = posix.basename(input.sourcePath)
    if (isBlockfileIndex(head)) yield* parseBlockfile(input)
    else if (isSimpleCacheFile(head) && simpleEntryFileName(name)) yield* parseSimpleEntry(input, head)
    else if (isSimpleCacheFile(head) && name.toLowerCase() === 'index') yield* parseSimpleIndex(input)
    else throw new ParseError('not a Chromium disk cache index or simple cache entry file', input.sourcePath)
  },
}

async function* parseBlockfile(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const folderPath = posix.dirname(input.sourcePath)
  const folder = new CollectedCacheFolder('index', input.copyPath)
  const collect = async (name: string) => {
    const file = await input.collectRelated(`${folderPath}/${name}`)
    if (file) folder.files.set(name, file)
    return file
  }
  const collectionProblems: string[] = []
  // data_0..data_3 always; a full block file chains to another of its size (data_4, ...)
  const pending = [0, 1, 2, 3]
  const tried = new Set<number>()
  while (pending.length > 0) {
    const n = pending.shift()!
    if (tried.has(n) || n > 255) continue
    tried.add(n)
    const file = await collect(`data_${n}`)
    if (!file) {
      if (n <= 3) collectionProblems.push(`data_${n} is not in ${folderPath}: the entries and streams it held cannot be read`)
      continue
    }
    const header = readBlockFileHeader(folder.read(`data_${n}`)!)
    if (header && header.nextFile > 0) pending.push(header.nextFile)
  }
  const lastFile = lastExternalFile(folder.read('index')!)
  const probe = Math.min(lastFile, MAX_EXTERNAL_FILES)
  if (lastFile > MAX_EXTERNAL_FILES) collectionProblems.push(`the index names ${lastFile} as its last external file: only f_000001..f_${MAX_EXTERNAL_FILES.toString(16)} were looked for`)
  for (let n = 1; n <= probe; n++) await collect(`f_${n.toString(16).padStart(6, '0')}`)
  for (const problem of collectionProblems) yield {type: 'error', source: input.source(), parser: PARSER_ID, error: problem}
  let contents: CacheContents
  try {
    contents = readBlockfileCache(folder)
  } catch (error) {
    throw new ParseError(errorMessage(error), input.sourcePath)
  }
  yield* blockfileRecords(input, folder, folderPath, contents)
}

async function* blockfileRecords(input: ParserInput, folder: CollectedCacheFolder, folderPath: string, contents: CacheContents): AsyncGenerator<ParsedRecord> {
  const extract = extractorFor(input)
  const where = (file: string) => ({file: file === 'index' ? input.bundlePath : (folder.files.get(file)?.bundlePath ?? input.bundlePath), sourcePath: `${folderPath}/${file}`, volume: input.volume})
  yield {
    type: 'chat.cache-index',
    source: input.source({offset: 0}),
    app: input.attributes.app ?? 'Discord',
    user: input.captures.user ?? null,
    backend: 'blockfile',
    version: `${contents.version >>> 16}.${contents.version & 0xffff}`,
    created: contents.created,
    entries: contents.counts.indexedEntries,
    declaredEntries: contents.counts.declaredEntries,
    orphanEntries: contents.counts.orphans,
    openOrCrashed: contents.openOrCrashed,
    ...(contents.openOrCrashed ? {note: 'the index header\'s crash flag is set: the cache was copied while the app had it open (a live collection), or the app did not close it cleanly; entries marked dirty were being written'} : {}),
    files: ['index', ...folder.files.keys()],
  }
  for (const p of contents.problems) {
    if (p.kind === 'orphan') continue // the orphan itself becomes a record, marked unreachable
    yield {type: 'error', source: {...where(p.file), ...(p.offset !== null ? {offset: p.offset} : {})}, parser: PARSER_ID, error: `${p.kind}: ${p.message}`}
  }
  const referenced = new Set<string>()
  // a range-requested resource: its parent entry names the children it has, each child one MiB
  const children = new Map<string, CacheEntry[]>()
  for (const e of contents.entries) {
    if (!e.key.sparseChild) continue
    const list = children.get(e.key.sparseChild.parentKey) ?? []
    list.push(e)
    children.set(e.key.sparseChild.parentKey, list)
  }
  for (const entry of contents.entries) {
    for (const s of entry.streams) if (s.file) referenced.add(s.file)
    const record = await entryRecord(input, entry, where, extract)
    if (entry.sparse?.role === 'parent') {
      const found = children.get(entry.key.key) ?? []
      const missing = entry.sparse.children.filter((n) => !found.some((c) => c.key.sparseChild?.child === n))
      record.sparse = {
        role: 'parent', children: entry.sparse.children,
        ranges: mergeRanges(found.flatMap((c) => (c.sparse?.role === 'child' ? c.sparse.ranges : []))),
        ...(missing.length ? {missingChildren: missing} : {}),
        note: 'a resource fetched by byte ranges: the bytes are in the child entries (one per MiB), ranges lists what the children\'s block bitmaps mark as held',
      }
      if (missing.length) (record.problems as string[]).push(`sparse children ${missing.join(', ')} the parent names are not in the cache: those ranges are lost`)
    } else if (entry.sparse?.role === 'child') {
      record.sparse = {role: 'child', parentKey: entry.key.sparseChild?.parentKey ?? null, child: entry.sparse.child, ranges: entry.sparse.ranges, note: `bytes ${entry.sparse.child} MiB onwards of the resource; stream 1 at byte n holds resource byte ${entry.sparse.child} MiB + n, outside ranges it is holes`}
    }
    yield record
  }
  const reached = contents.entries.filter((e) => e.reachable)
  const orphans = contents.entries.filter((e) => !e.reachable)
  const unreferenced = [...folder.files.keys()].filter((n) => n.startsWith('f_') && !referenced.has(n))
  const tables: TableCoverage[] = [
    {
      table: 'entries reached from the index', known: true, rows: reached.length + contents.counts.unreadable, parsed: reached.length,
      excluded: contents.counts.unreadable ? [{reason: 'index address holding no readable entry (bad address or truncated block file), each reported as an error', rows: contents.counts.unreadable}] : [],
      unexplained: 0,
      ...(reached.filter((e) => e.problems.length).length ? {unresolved: [{reason: 'entries whose key, headers or body could not be read whole (see each record\'s problems)', rows: reached.filter((e) => e.problems.length).length}]} : {}),
    },
    {table: 'entries in block files no index slot reaches (deleted, evicted, or left by a crash)', known: true, rows: orphans.length, parsed: orphans.length, excluded: [], unexplained: 0},
    {table: 'f_ files no entry refers to', known: false, rows: unreferenced.length, parsed: 0, excluded: unreferenced.length ? [{reason: 'collected; the entry that wrote them is gone', rows: unreferenced.length}] : [], unexplained: 0},
  ]
  input.reportCoverage({parser: PARSER_ID, store: 'chromium-cache', file: input.bundlePath, sourcePath: folderPath, volume: input.volume, readAs: 'Chromium blockfile disk cache (index, data_N, f_xxxxxx)', tables})
}

async function* parseSimpleEntry(input: ParserInput, data: Buffer): AsyncGenerator<ParsedRecord> {
  const folderPath = posix.dirname(input.sourcePath)
  const name = posix.basename(input.sourcePath)
  const base = name.slice(0, -2)
  const files = new Map<string, CollectedFile>()
  for (const suffix of ['_1', '_s']) {
    const f = await input.collectRelated(`${folderPath}/${base}${suffix}`)
    if (f) files.set(`${base}${suffix}`, f)
  }
  const streamTwo = files.get(`${base}_1`)
  let entry: CacheEntry
  try {
    entry = readSimpleEntry(name, data, streamTwo ? readFileSync(streamTwo.copyPath) : undefined)
  } catch (error) {
    throw new ParseError(errorMessage(error), input.sourcePath)
  }
  const where = (file: string) => ({file: file === name ? input.bundlePath : (files.get(file)?.bundlePath ?? input.bundlePath), sourcePath: `${folderPath}/${file}`, volume: input.volume})
  const record = await entryRecord(input, entry, where, extractorFor(input))
  const sparseFile = files.get(`${base}_s`)
  if (sparseFile) {
    const sparse = readSimpleSparse(`${base}_s`, readFileSync(sparseFile.copyPath))
    ;(record.problems as string[]).push(...sparse.problems)
    record.sparse = {
      role: 'ranges', file: sparseFile.bundlePath, sourcePath: sparseFile.sourcePath,
      ranges: mergeRanges(sparse.ranges.map((r) => [r.start, r.end])),
      pieces: sparse.ranges.map((r) => ({start: r.start, end: r.end, fileOffset: r.fileOffset, crcValid: r.crcValid})),
      note: 'a resource fetched by byte ranges: each piece is in the _s file at fileOffset',
    }
  }
  yield record
  input.reportCoverage({
    parser: PARSER_ID, store: 'chromium-cache', file: input.bundlePath, sourcePath: input.sourcePath, volume: input.volume, readAs: 'Chromium simple disk cache entry file',
    tables: [{table: 'entry', known: true, rows: 1, parsed: 1, excluded: [], unexplained: 0, ...(entry.problems.length ? {unresolved: [{reason: 'entry whose key, headers or body could not be read whole (see the record\'s problems)', rows: 1}]} : {})}],
  })
}

async function* parseSimpleIndex(input: ParserInput): AsyncGenerator<ParsedRecord> {
  const folderPath = posix.dirname(input.sourcePath)
  const real = await input.collectRelated(`${folderPath}/index-dir/the-real-index`)
  const base = {type: 'chat.cache-index', app: input.attributes.app ?? 'Discord', user: input.captures.user ?? null, backend: 'simple'}
  if (!real) {
    yield {...base, source: input.source({offset: 0}), realIndex: null, note: 'index-dir/the-real-index is not there: the entry files are read one by one as the definition matches them'}
    return
  }
  const source: RecordSource = {file: real.bundlePath, sourcePath: real.sourcePath, volume: input.volume, offset: 0}
  try {
    const index = readSimpleRealIndex(readFileSync(real.copyPath))
    for (const p of index.problems) yield {type: 'error', source, parser: PARSER_ID, error: p}
    yield {
      ...base, source, version: index.version, modified: index.modified, indexedEntries: index.entries.length, entryHashes: index.entries.map((e) => e.hash),
      note: 'the-real-index is rewritten lazily and can name fewer entries than the folder holds: every <hash>_0 file is read on its own',
    }
  } catch (error) {
    yield {type: 'error', source, parser: PARSER_ID, error: `the-real-index: ${errorMessage(error)}`}
  }
}

type Where = (file: string) => {file: string; sourcePath: string; volume: string}

async function entryRecord(input: ParserInput, entry: CacheEntry, where: Where, extract: Extract): Promise<ParsedRecord> {
  const response = entry.response
  const contentType = headerValue(response, 'content-type')
  const encoding = headerValue(response, 'content-encoding')
  const bodyStream = entry.streams.find((s) => s.index === 1)
  const headStream = entry.streams.find((s) => s.index === 0)
  const body = bodyStream?.data && !bodyStream.problem ? bodyStream.data : null
  let extracted: string | null = null
  let decodedSha256: string | null = null
  let decodedSize: number | null = null
  let extractNote: string | null = null
  if (body && body.length > 0) {
    const decoded = decodeBody(body, encoding)
    extractNote = decoded.note
    if (decoded.data) {
      decodedSha256 = sha256(decoded.data)
      decodedSize = decoded.data.length
      const ext = extractedExtension(contentType, decoded.data)
      if (ext) {
        const place = where(bodyStream!.file ?? entry.file)
        const how = encoding && decoded.data !== body ? `(${encoding}-decoded)` : '(as stored)'
        const result = await extract(decoded.data, decodedSha256, ext, {file: place.file, offset: bodyStream!.offset ?? 0, size: body.length}, `${how} of the entry ${entry.key.url ?? entry.key.key}`)
        if ('path' in result) extracted = result.path
        else extractNote = result.note
      }
    }
  } else if (bodyStream?.problem) extractNote = `body not extracted: ${bodyStream.problem}`
  return {
    type: 'chat.cache-entry',
    source: {...where(entry.file), key: entry.key.key, offset: entry.offset, ...(entry.address ? {value: entry.address} : {})},
    app: input.attributes.app ?? 'Discord',
    user: input.captures.user ?? null,
    backend: entry.backend,
    url: entry.key.url,
    cacheKey: entry.key.key,
    topFrameSite: entry.key.topFrameSite,
    frameSite: entry.key.frameSite,
    discord: discordResource(entry.key.url),
    entryHash: entry.hash,
    cacheAddress: entry.address ?? null,
    reachable: entry.reachable,
    ...(entry.reachable ? {} : {note: 'no index slot reaches this entry: deleted, evicted, or written by a run that crashed; recovered from its block'}),
    state: entry.state,
    dirty: entry.dirty,
    status: response?.status ?? null,
    statusLine: response?.statusLine ?? null,
    contentType,
    contentEncoding: encoding,
    contentLength: headerValue(response, 'content-length'),
    date: httpDateToIso(headerValue(response, 'date')),
    lastModified: httpDateToIso(headerValue(response, 'last-modified')),
    expires: httpDateToIso(headerValue(response, 'expires')),
    requestTime: response?.requestTime ?? null,
    responseTime: response?.responseTime ?? null,
    created: entry.created,
    lastUsed: entry.lastUsed,
    entryModified: entry.lastModified,
    reuseCount: entry.reuseCount,
    headers: response?.headers.map(([n, v]) => `${n}: ${v}`) ?? null,
    headersAt: headStream ? streamPlace(headStream, where) : null,
    body: bodyStream
      ? {...streamPlace(bodyStream, where), size: bodyStream.size, storedSha256: body ? sha256(body) : null, decodedSha256, decodedSize, extracted, ...(extractNote ? {note: extractNote} : {})}
      : {size: 0, storedSha256: null, extracted: null},
    truncated: response?.truncated ?? false,
    keyHashValid: entry.keyHashValid,
    selfHashValid: entry.selfHashValid,
    problems: entry.problems,
  }
}

/** Byte ranges (end exclusive) sorted and joined where they touch. */
export function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1]
    if (last && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}

function streamPlace(s: CacheEntry['streams'][number], where: Where): Record<string, unknown> {
  return {
    file: s.file ? where(s.file).file : null, sourcePath: s.file ? where(s.file).sourcePath : null, offset: s.offset,
    ...(s.address ? {address: s.address} : {}), ...(s.crcValid !== undefined ? {crcValid: s.crcValid} : {}), ...(s.problem ? {problem: s.problem} : {}),
  }
}
