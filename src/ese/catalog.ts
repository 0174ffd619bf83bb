/**
 * The catalog, MSysObjects (libesedb "Catalog (MSysObjects and MSysObjectsShadow)"):
 * one record per table (type 1), column (2), index (3), long value tree (4) and
 * callback (5). Its own layout is fixed by the format, so it is read with the
 * definition below first; the catalog's records about itself then give the columns
 * MSysObjects is listed and dumped with.
 */
import {CorruptImageError} from '../errors.js'
import {COLUMN_FLAGS, COLUMN_TYPES} from './columns.js'
import {CATALOG_ROOT_PAGE, type EseDatabase} from './database.js'

export interface EseColumn {
  id: number
  name: string
  type: number
  typeName: string
  /** Bytes a fixed column takes in the record (SpaceUsage). */
  size: number
  flags: number
  codepage: number
  multiValued: boolean
}

export interface EseTable {
  name: string
  objectId: number
  rootPage: number
  longValueRoot?: number
  templateTable?: string
  columns: EseColumn[]
  indexes: string[]
  fixedColumns: EseColumn[]
  variableById: Map<number, EseColumn>
  taggedById: Map<number, EseColumn>
}

export interface EseCatalog {
  tables: EseTable[]
}

const CATALOG_OBJECT_ID = 2

function column(id: number, name: string, type: number, codepage = 0): EseColumn {
  const size = COLUMN_TYPES[type]?.size ?? 0
  return {id, name, type, typeName: COLUMN_TYPES[type]?.name ?? `type ${type}`, size, flags: 0, codepage, multiValued: false}
}

/** MSysObjects as the format defines it (libesedb catalog table definition). */
const BOOTSTRAP_COLUMNS: EseColumn[] = [
  column(1, 'ObjidTable', 4),
  column(2, 'Type', 3),
  column(3, 'Id', 4),
  column(4, 'ColtypOrPgnoFDP', 4),
  column(5, 'SpaceUsage', 4),
  column(6, 'Flags', 4),
  column(7, 'PagesOrLocale', 4),
  column(8, 'RootFlag', 1),
  column(9, 'RecordOffset', 3),
  column(10, 'LCMapFlags', 4),
  column(11, 'KeyMost', 17),
  column(12, 'LVChunkMax', 4),
  column(128, 'Name', 10, 1252),
  column(129, 'Stats', 9),
  column(130, 'TemplateTable', 10, 1252),
  column(131, 'DefaultValue', 9),
  column(132, 'KeyFldIDs', 9),
  column(133, 'VarSegMac', 9),
  column(134, 'ConditionalColumns', 9),
  column(135, 'TupleLimits', 9),
  column(136, 'Version', 9),
  column(137, 'SortID', 9),
  column(256, 'CallbackData', 11),
  column(257, 'CallbackDependencies', 11),
  column(258, 'SeparateLV', 11),
  column(259, 'SpaceHints', 11),
  column(260, 'SpaceDeferredLVHints', 11),
  column(261, 'LocaleName', 11),
]

export function makeTable(name: string, objectId: number, rootPage: number, columns: EseColumn[]): EseTable {
  const sorted = [...columns].sort((a, b) => a.id - b.id)
  return {
    name,
    objectId,
    rootPage,
    columns: sorted,
    indexes: [],
    fixedColumns: sorted.filter((c) => c.id < 128),
    variableById: new Map(sorted.filter((c) => c.id >= 128 && c.id < 256).map((c) => [c.id, c])),
    taggedById: new Map(sorted.filter((c) => c.id >= 256).map((c) => [c.id, c])),
  }
}

export function readCatalog(database: EseDatabase): EseCatalog {
  const bootstrap = makeTable('MSysObjects', CATALOG_OBJECT_ID, CATALOG_ROOT_PAGE, BOOTSTRAP_COLUMNS)
  const tables = new Map<number, {name: string; rootPage: number; template?: string; columns: EseColumn[]; indexes: string[]; longValueRoot?: number}>()
  const order: number[] = []
  let records = 0
  for (const row of database.rows(bootstrap)) {
    records++
    const v = row.values
    const type = v.Type as number | undefined
    const owner = v.ObjidTable as number | undefined
    const name = typeof v.Name === 'string' ? v.Name : ''
    if (owner === undefined || type === undefined) continue
    if (type === 1) {
      const entry = tables.get(owner) ?? {name, rootPage: 0, columns: [], indexes: []}
      entry.name = name
      entry.rootPage = (v.ColtypOrPgnoFDP as number) ?? 0
      if (typeof v.TemplateTable === 'string' && v.TemplateTable) entry.template = v.TemplateTable
      tables.set(owner, entry)
      order.push(owner)
      continue
    }
    const entry = tables.get(owner)
    if (!entry) {
      database.problems.push({page: row.page, message: `catalog entry ${name} (type ${type}) names table object ${owner}, which the catalog does not define`})
      continue
    }
    if (type === 2) {
      const coltype = v.ColtypOrPgnoFDP as number
      const flags = (v.Flags as number) ?? 0
      entry.columns.push({
        id: v.Id as number,
        name,
        type: coltype,
        typeName: COLUMN_TYPES[coltype]?.name ?? `type ${coltype}`,
        size: COLUMN_TYPES[coltype]?.size ?? ((v.SpaceUsage as number) || 0),
        flags,
        codepage: (v.PagesOrLocale as number) ?? 0,
        multiValued: (flags & COLUMN_FLAGS.multiValued) !== 0,
      })
    } else if (type === 3) {
      entry.indexes.push(name)
    } else if (type === 4) {
      entry.longValueRoot = v.ColtypOrPgnoFDP as number
    }
  }
  if (records === 0) throw new CorruptImageError(`${database.name}: the catalog (MSysObjects, page ${CATALOG_ROOT_PAGE}) holds no records`, (CATALOG_ROOT_PAGE + 1) * database.layout.pageSize)
  const result: EseTable[] = []
  const byName = new Map<string, EseTable>()
  for (const objectId of order) {
    const entry = tables.get(objectId)!
    let columns = entry.columns
    if (entry.template) {
      const template = byName.get(entry.template)
      if (template) columns = [...template.columns, ...columns]
      else database.problems.push({table: entry.name, message: `template table ${entry.template} of ${entry.name} is not in the catalog: its inherited columns are not read`})
    }
    const table = makeTable(entry.name, objectId, entry.rootPage, columns)
    table.indexes = entry.indexes
    if (entry.longValueRoot !== undefined) table.longValueRoot = entry.longValueRoot
    if (entry.template) table.templateTable = entry.template
    result.push(table)
    byName.set(table.name, table)
  }
  return {tables: result}
}
