/**
 * The text `JSON.stringify(value, null, 2)` gives a value nested `depth` levels deep in a
 * larger document, with every string's JSON text passed through `escape`. With an indent,
 * JSON.stringify leaves V8's fast path, and laying out the 80 MB of a 100 000-file
 * `image ls --json` that way, then scanning all of it again for characters a terminal
 * obeys, was most of the command's time. Here plain objects and arrays are laid out
 * directly, the keys' text is kept once made, and a string of printable ASCII without a
 * quote or backslash (nearly all of them) is quoted as it is. Anything else (a class
 * instance, a Date, a value with toJSON) is left to JSON.stringify itself (a toJSON
 * is then called with the key '', not the property's key).
 * test/image/listing-json.test.ts compares the two on arbitrary values.
 */
export function indentedJson(value: unknown, depth = 0, escape: (json: string) => string = same): string | undefined {
  return write(value, indentOf(depth), escape)
}

function same(text: string): string {
  return text
}

/** Strings whose JSON text is the string between quotes, and that no escape changes. */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

// the last plain string quoted: the times of an entry are often one instant, spelt eight times
let lastPlain = ''
let lastQuoted = '""'

/** A string's JSON text, passed through `escape`. */
export function quote(text: string, escape: (json: string) => string = same): string {
  if (text === lastPlain) return lastQuoted
  if (!PLAIN_STRING.test(text)) return escape(JSON.stringify(text))
  lastPlain = text
  lastQuoted = `"${text}"`
  return lastQuoted
}

const indents: string[] = ['']

function indentOf(depth: number): string {
  while (indents.length <= depth) indents.push(`${indents[indents.length - 1]}  `)
  return indents[depth]
}

/** `"key": ` as JSON writes it, by key (escaped keys are not kept: each escape may differ). */
const keyTexts = new Map<string, string>()

function keyText(key: string, escape: (json: string) => string): string {
  let text = keyTexts.get(key)
  if (text === undefined) {
    if (!PLAIN_STRING.test(key)) return `${escape(JSON.stringify(key))}: `
    text = `"${key}": `
    if (keyTexts.size < 4096) keyTexts.set(key, text)
  }
  return text
}

/** The value's text at indent `indent`, or undefined where JSON.stringify leaves a property out. */
function write(value: unknown, indent: string, escape: (json: string) => string): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value, escape)
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (value === null) return 'null'
  const prototype = Object.getPrototypeOf(value) as unknown
  const inner = `${indent}  `
  if (Array.isArray(value) && prototype === Array.prototype && !('toJSON' in value)) {
    if (value.length === 0) return '[]'
    let out = '['
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '\n' : ',\n'}${inner}${write(value[i], inner, escape) ?? 'null'}`
    return `${out}\n${indent}]`
  }
  if ((prototype === Object.prototype || prototype === null) && !('toJSON' in (value as object))) {
    let out = ''
    for (const key of Object.keys(value as object)) {
      const text = write((value as Record<string, unknown>)[key], inner, escape)
      if (text === undefined) continue
      out += `${out === '' ? '{\n' : ',\n'}${inner}${keyText(key, escape)}${text}`
    }
    return out === '' ? '{}' : `${out}\n${indent}}`
  }
  // anything else as JSON.stringify lays it out (its text holds no raw newline to re-indent wrongly)
  const text = JSON.stringify(value, null, 2) as string | undefined
  return text === undefined ? undefined : escape(text.replaceAll('\n', `\n${indent}`))
}

/**
 * indentedJson of a plain object whose values are mostly strings and numbers (a file's
 * times, a stream), without the general walk; other values go through indentedJson.
 */
export function indentedFlatJson(value: Record<string, unknown>, depth: number, escape: (json: string) => string = same): string {
  if (Object.getPrototypeOf(value) !== Object.prototype || 'toJSON' in value) return indentedJson(value, depth, escape)!
  const inner = indentOf(depth + 1)
  let out = ''
  for (const key of Object.keys(value)) {
    const item = value[key]
    const text = typeof item === 'string' ? quote(item, escape) : typeof item === 'number' && Number.isFinite(item) ? String(item) : write(item, inner, escape)
    if (text === undefined) continue
    out += `${out === '' ? '{\n' : ',\n'}${inner}${keyText(key, escape)}${text}`
  }
  return out === '' ? '{}' : `${out}\n${indentOf(depth)}}`
}
