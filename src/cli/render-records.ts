import type {ParsedRecord} from '../parsers/types.js'
import {sourceText, viewOf} from '../report/columns.js'

/**
 * Evidence text made safe for a terminal: control characters (C0, DEL, C1), line separators and bidirectional
 * overrides, which could rewrite or hide what the examiner reads, are shown as \u{...} escapes.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)
}

/** One record as one line: its type, the columns the report shows (those with a value), and where it came from. */
export function renderRecordLine(record: ParsedRecord): string {
  const view = viewOf(record.type)
  const cells = view.columns
    .map((column) => [column.title, column.get(record)] as const)
    .filter(([, value]) => value !== null)
    .map(([title, value]) => `${title}: ${String(value)}`)
  return terminalSafe(`${record.type}  ${cells.join('  ')}  [${sourceText(record)}]`)
}
