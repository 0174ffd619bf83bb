/**
 * Native, read-only FAT12/16/32: `fatDriver` detects and opens a volume as a ReadOnlyFileSystem.
 */
export {fatDriver, FatFileSystem, FAT_LOCAL_TIME_NOTE} from './fat-file-system.js'
export {parseBootSector, type FatBootSector} from './boot-sector.js'
export {parseDirectory, fatDateTime, shortNameChecksum, type FatDirectoryEntry} from './directory.js'
