export {ntfsDriver, NtfsFileSystem} from './ntfs-file-system.js'
export {parseBootSector, isNtfsBootSector, type NtfsBootSector} from './boot-sector.js'
