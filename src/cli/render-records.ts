import type {ParsedRecord} from '../parsers/types.js'
import {sourceText, viewOf} from '../report/columns.js'
import {terminalSafe} from '../terminal-text.js'

/** One record as one line: its type, the columns the report shows (those with a value), and where it came from. */
export function renderRecordLine(record: ParsedRecord): string {
  const view = viewOf(record.type)
  const cells = view.columns
    .map((column) => [column.title, column.get(record)] as const)
    .filter(([, value]) => value !== null)
    .map(([title, value]) => `${title}: ${String(value)}`)
  return terminalSafe(`${record.type}  ${cells.join('  ')}  [${sourceText(record)}]`)
}
