/**
 * The WebCacheV01.dat-like database the WebCache tests read (fixtures/ese/webcache/,
 * built by fixtures/ese/webcache/build.sh): the Containers table and four containers
 * (History, a daily MSHist history, iedownload, Cookies) with the column names and types
 * of IE 10/11 and legacy Edge WebCache (libesedb webcache.c, plaso msie_webcache.py).
 * No real WebCacheV01.dat could be obtained for the repository (plaso's and go-ese's test
 * copies are not in the stored snapshots); the two MSHist rows carry the values go-ese's
 * WebCacheV01.dat golden shows for its real file.
 */
import {writeFileSync} from 'node:fs'
import {buildEseDatabase, type ColumnSpec, type TableSpec} from './build-ese.js'

const CONTAINERS: ColumnSpec[] = [
  {id: 1, name: 'ContainerId', type: 15, size: 8},
  {id: 2, name: 'SetId', type: 4, size: 4},
  {id: 3, name: 'Flags', type: 4, size: 4},
  {id: 4, name: 'Size', type: 15, size: 8},
  {id: 5, name: 'Limit', type: 15, size: 8},
  {id: 6, name: 'LastScavengeTime', type: 15, size: 8},
  {id: 7, name: 'EntryMaxAge', type: 15, size: 8},
  {id: 8, name: 'LastAccessTime', type: 15, size: 8},
  {id: 128, name: 'Name', type: 10, codepage: 1200},
  {id: 129, name: 'PartitionId', type: 10, codepage: 1200},
  {id: 130, name: 'Directory', type: 10, codepage: 1200},
]

const CONTAINER: ColumnSpec[] = [
  {id: 1, name: 'EntryId', type: 15, size: 8},
  {id: 2, name: 'ContainerId', type: 15, size: 8},
  {id: 3, name: 'CacheId', type: 15, size: 8},
  {id: 4, name: 'UrlHash', type: 15, size: 8},
  {id: 5, name: 'SecureDirectory', type: 14, size: 4},
  {id: 6, name: 'FileSize', type: 15, size: 8},
  {id: 7, name: 'Type', type: 14, size: 4},
  {id: 8, name: 'Flags', type: 14, size: 4},
  {id: 9, name: 'AccessCount', type: 14, size: 4},
  {id: 10, name: 'SyncTime', type: 15, size: 8},
  {id: 11, name: 'CreationTime', type: 15, size: 8},
  {id: 12, name: 'ExpiryTime', type: 15, size: 8},
  {id: 13, name: 'ModifiedTime', type: 15, size: 8},
  {id: 14, name: 'AccessedTime', type: 15, size: 8},
  {id: 15, name: 'PostCheckTime', type: 15, size: 8},
  {id: 16, name: 'SyncCount', type: 14, size: 4},
  {id: 17, name: 'ExemptionDelta', type: 14, size: 4},
  {id: 256, name: 'Url', type: 12, codepage: 1200, compress: true},
  {id: 257, name: 'Filename', type: 12, codepage: 1200, compress: true},
  {id: 258, name: 'FileExtension', type: 12, codepage: 1200},
  {id: 259, name: 'RequestHeaders', type: 11},
  {id: 260, name: 'ResponseHeaders', type: 11},
  {id: 261, name: 'RedirectUrl', type: 12, codepage: 1200},
]

const DIR = 'C:\\Users\\Administrator\\AppData\\Local\\Microsoft\\Windows\\'
const entry = (values: Record<string, number | bigint | string | Buffer>) => ({
  CacheId: 0n, UrlHash: 0n, SecureDirectory: 0, FileSize: 0n, Type: 0, Flags: 0, AccessCount: 0, SyncTime: 0n, CreationTime: 0n, ExpiryTime: 0n, ModifiedTime: 0n, AccessedTime: 0n, PostCheckTime: 0n, SyncCount: 0, ExemptionDelta: 0,
  ...values,
})

/** iedownload's ResponseHeaders: a binary head, then the source URL and the saved path as NUL-terminated UTF-16 (layout as plaso's msie_webcache reads it). */
const DOWNLOAD_HEADERS = Buffer.concat([Buffer.from('0200000000001000', 'hex'), Buffer.from('https://download.example.org/tools/setup.exe\0C:\\Users\\Administrator\\Downloads\\setup.exe\0', 'utf16le')])

export function webcacheTables(): TableSpec[] {
  return [
    {
      name: 'Containers',
      columns: CONTAINERS,
      rows: [
        {ContainerId: 1n, SetId: 0, Flags: 68, Size: 0n, Limit: 1024n, LastScavengeTime: 0n, EntryMaxAge: 0n, LastAccessTime: 133370576566552287n, Name: 'History', PartitionId: 'M', Directory: `${DIR}History\\History.IE5\\`},
        {ContainerId: 2n, SetId: 0, Flags: 64, Size: 0n, Limit: 1024n, LastScavengeTime: 0n, EntryMaxAge: 0n, LastAccessTime: 133370576566722799n, Name: 'MSHist012023082020230821', PartitionId: 'M', Directory: `${DIR}History\\History.IE5\\MSHist012023082020230821\\`},
        {ContainerId: 3n, SetId: 0, Flags: 0, Size: 0n, Limit: 0n, LastScavengeTime: 0n, EntryMaxAge: 0n, LastAccessTime: 133370576600000000n, Name: 'iedownload', PartitionId: 'L', Directory: `${DIR}IEDownloadHistory\\`},
        {ContainerId: 4n, SetId: 0, Flags: 0, Size: 0n, Limit: 0n, LastScavengeTime: 0n, EntryMaxAge: 0n, LastAccessTime: 133370576700000000n, Name: 'Cookies', PartitionId: 'L', Directory: `${DIR}INetCookies\\`},
      ],
    },
    {
      name: 'Container_1',
      columns: CONTAINER,
      rows: [
        entry({EntryId: 1n, ContainerId: 1n, UrlHash: 1234567890123n, AccessCount: 3, ModifiedTime: 133370324566642496n, AccessedTime: 133370576566752849n, SyncTime: 133370576566752849n, Url: 'Visited: Administrator@https://www.example.org/search?q=ferry+times', RedirectUrl: ''}),
        entry({EntryId: 2n, ContainerId: 1n, UrlHash: 1234567890124n, AccessCount: 1, ModifiedTime: 133370324566642496n, AccessedTime: 133370577000000001n, Url: 'Visited: Administrator@file:///C:/Users/Administrator/Documents/plan.txt'}),
      ],
    },
    {
      name: 'Container_2',
      columns: CONTAINER,
      rows: [
        entry({EntryId: 2n, ContainerId: 2n, UrlHash: 3019452809937611611n, Type: 2097156, Flags: 4, AccessCount: 1, SyncTime: 133370576566752849n, ModifiedTime: 133370324566642496n, AccessedTime: 133370576566752849n, ExemptionDelta: 86400, Url: ':2023082020230821: Administrator@:Host: This PC'}),
        entry({EntryId: 1n, ContainerId: 2n, UrlHash: 8670262967669071927n, Type: 2097156, Flags: 4, AccessCount: 1, SyncTime: 133370576566722799n, ExpiryTime: 133393040566647726n, ModifiedTime: 133370324566642496n, AccessedTime: 133370576566722799n, ExemptionDelta: 86400, Url: ':2023082020230821: Administrator@file:///C:/מדריך/test.html'}),
      ],
    },
    {
      name: 'Container_3',
      columns: CONTAINER,
      rows: [
        entry({EntryId: 1n, ContainerId: 3n, AccessCount: 1, CreationTime: 133370578000000000n, AccessedTime: 133370578123456789n, ModifiedTime: 133370578123456789n, Url: 'iedownload:https://download.example.org/tools/setup.exe', Filename: 'setup.exe', FileExtension: 'exe', FileSize: 1048576n, ResponseHeaders: DOWNLOAD_HEADERS}),
      ],
    },
    {
      name: 'Container_4',
      columns: CONTAINER,
      rows: [
        entry({EntryId: 1n, ContainerId: 4n, AccessCount: 2, CreationTime: 133370579000000000n, ExpiryTime: 133999999990000000n, ModifiedTime: 133370579000000000n, AccessedTime: 133370579500000000n, Url: 'Cookie:administrator@example.org/', Filename: 'ABCD1234.cookie', FileSize: 120n}),
      ],
    },
  ]
}

if (process.argv[2]) writeFileSync(process.argv[2], buildEseDatabase(webcacheTables()))
