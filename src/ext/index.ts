/**
 * Native, read-only ext2/3/4: `extDriver` detects and opens a volume (a ByteSource at
 * the partition's offset) as a ReadOnlyFileSystem.
 */
export {extDriver, ExtFileSystem} from './ext-file-system.js'
export {parseSuperblock, isExtSuperblock, type ExtSuperblock} from './superblock.js'
export {parseDirectoryBlock, type DirectoryName} from './directory.js'
export {parseInode, extTimeToIso, type ExtInode} from './inode.js'
