/**
 * Native, read-only NTFS: `ntfsDriver` detects and opens a volume (a ByteSource at
 * the partition's offset) as a ReadOnlyFileSystem.
 */
export {ntfsDriver, NtfsFileSystem, ORPHAN_DIRECTORY} from './ntfs-file-system.js'
export {parseBootSector, isNtfsBootSector, type NtfsBootSector} from './boot-sector.js'
