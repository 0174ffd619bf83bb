/**
 * Skype classic stores a message body (Messages.body_xml) as an XML/HTML fragment:
 * emoticons `<ss type="smile">:)</ss>`, links `<a href="..">..</a>`, shared files
 * `<URIObject ..><OriginalName v=".."/>..</URIObject>`, quotes
 * `<quote author=".."><legacyquote>[..] name: </legacyquote>text<legacyquote>..</legacyquote></quote>`,
 * SMS `<sms alt="text">..</sms>`, and entity-escaped text (&apos;, &amp;, &#39;).
 * This turns it into the text a user saw; the raw markup is kept beside it.
 */

const NAMED_ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0'}

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return codePoint(Number.parseInt(name.slice(2), 16), whole)
    if (name.startsWith('#')) return codePoint(Number.parseInt(name.slice(1), 10), whole)
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole
  })
}

function codePoint(cp: number, fallback: string): string {
  if (!Number.isFinite(cp) || cp < 0 || cp > 0x10ffff) return fallback
  return String.fromCodePoint(cp)
}

/** Elements whose content is metadata, not text the user read. */
const SILENT = new Set(['meta', 'originalname', 'filesize', 'e_m', 'title', 'description', 'thumbnail'])

function attributes(raw: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of raw.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    out[m[1].toLowerCase()] = decodeEntities(m[3] ?? m[4] ?? '')
  }
  return out
}

export interface SkypeBody {
  text: string
  /** File names a <URIObject>/<files> element names (shared photos and files). */
  files: string[]
}

/** Decodes a Skype body_xml fragment to plain text. Never throws: malformed markup degrades to its text. */
export function decodeSkypeBody(xml: string): SkypeBody {
  const files: string[] = []
  let out = ''
  // depth of elements whose content is skipped (an element rendered by its alt text, or metadata)
  let skipDepth = 0
  const skipStack: string[] = []
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^<>]*?)?)(\/?)>/g
  let last = 0
  for (const m of xml.matchAll(tag)) {
    const at = m.index ?? 0
    if (skipDepth === 0) out += decodeEntities(xml.slice(last, at))
    last = at + m[0].length
    const closing = m[1] === '/'
    const name = m[2].toLowerCase()
    const selfClosing = m[4] === '/'
    if (closing) {
      if (skipStack.length > 0 && skipStack[skipStack.length - 1] === name) {
        skipStack.pop()
        skipDepth--
      }
      continue
    }
    const attrs = attributes(m[3] ?? '')
    if (name === 'originalname' && attrs.v) files.push(attrs.v)
    if (name === 'file' && attrs.name) files.push(attrs.name)
    if (skipDepth > 0) {
      if (!selfClosing && skipStack.includes(name)) {
        // nested element of the same name inside a skipped one
        skipStack.push(name)
        skipDepth++
      }
      continue
    }
    if (selfClosing) continue
    if (attrs.alt !== undefined && attrs.alt !== '') {
      // <sms alt>, <files alt>, <partlist alt>: the alt attribute is the rendering Skype shows
      out += attrs.alt
      skipStack.push(name)
      skipDepth++
    } else if (SILENT.has(name) || (attrs.alt !== undefined && name !== 'a')) {
      skipStack.push(name)
      skipDepth++
    }
  }
  if (skipDepth === 0) out += decodeEntities(xml.slice(last))
  return {text: out, files}
}
