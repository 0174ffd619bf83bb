/**
 * SQLite result code numbers to their names (https://www.sqlite.org/rescode.html).
 * node:sqlite reports the extended code as a number (`errcode`); better-sqlite3 names
 * it ('SQLITE_READONLY_ROLLBACK'). Readers test the name, so both engines must give it.
 * An extended code is the primary code plus (n << 8); EXTENDED lists each primary's
 * extended names by n.
 */
const PRIMARY: Record<number, string> = {
  0: 'OK', 1: 'ERROR', 2: 'INTERNAL', 3: 'PERM', 4: 'ABORT', 5: 'BUSY', 6: 'LOCKED', 7: 'NOMEM', 8: 'READONLY',
  9: 'INTERRUPT', 10: 'IOERR', 11: 'CORRUPT', 12: 'NOTFOUND', 13: 'FULL', 14: 'CANTOPEN', 15: 'PROTOCOL', 16: 'EMPTY',
  17: 'SCHEMA', 18: 'TOOBIG', 19: 'CONSTRAINT', 20: 'MISMATCH', 21: 'MISUSE', 22: 'NOLFS', 23: 'AUTH', 24: 'FORMAT',
  25: 'RANGE', 26: 'NOTADB', 27: 'NOTICE', 28: 'WARNING', 100: 'ROW', 101: 'DONE',
}

const EXTENDED: Record<number, Array<string | undefined>> = {
  0: [undefined, 'LOAD_PERMANENTLY', 'SYMLINK'],
  1: [undefined, 'MISSING_COLLSEQ', 'RETRY', 'SNAPSHOT', 'RESERVESIZE', 'KEY', 'UNABLE'],
  4: [undefined, undefined, 'ROLLBACK'],
  5: [undefined, 'RECOVERY', 'SNAPSHOT', 'TIMEOUT'],
  6: [undefined, 'SHAREDCACHE', 'VTAB'],
  8: [undefined, 'RECOVERY', 'CANTLOCK', 'ROLLBACK', 'DBMOVED', 'CANTINIT', 'DIRECTORY'],
  10: [
    undefined, 'READ', 'SHORT_READ', 'WRITE', 'FSYNC', 'DIR_FSYNC', 'TRUNCATE', 'FSTAT', 'UNLOCK', 'RDLOCK', 'DELETE',
    'BLOCKED', 'NOMEM', 'ACCESS', 'CHECKRESERVEDLOCK', 'LOCK', 'CLOSE', 'DIR_CLOSE', 'SHMOPEN', 'SHMSIZE', 'SHMLOCK',
    'SHMMAP', 'SEEK', 'DELETE_NOENT', 'MMAP', 'GETTEMPPATH', 'CONVPATH', 'VNODE', 'AUTH', 'BEGIN_ATOMIC',
    'COMMIT_ATOMIC', 'ROLLBACK_ATOMIC', 'DATA', 'CORRUPTFS', 'IN_PAGE',
  ],
  11: [undefined, 'VTAB', 'SEQUENCE', 'INDEX'],
  14: [undefined, 'NOTEMPDIR', 'ISDIR', 'FULLPATH', 'CONVPATH', 'DIRTYWAL', 'SYMLINK'],
  19: [undefined, 'CHECK', 'COMMITHOOK', 'FOREIGNKEY', 'FUNCTION', 'NOTNULL', 'PRIMARYKEY', 'TRIGGER', 'UNIQUE', 'VTAB', 'ROWID', 'PINNED', 'DATATYPE'],
  23: [undefined, 'USER'],
  27: [undefined, 'RECOVER_WAL', 'RECOVER_ROLLBACK', 'RBU'],
  28: [undefined, 'AUTOINDEX'],
}

/** 776 -> 'SQLITE_READONLY_ROLLBACK'; a code this table does not know keeps its number. */
export function resultCodeName(code: number): string {
  const primary = PRIMARY[code & 0xff]
  const extended = code >> 8
  if (primary === undefined) return `UNKNOWN_SQLITE_ERROR_${code}`
  if (extended === 0) return `SQLITE_${primary}`
  const name = EXTENDED[code & 0xff]?.[extended]
  return name === undefined ? `UNKNOWN_SQLITE_ERROR_${code}` : `SQLITE_${primary}_${name}`
}
