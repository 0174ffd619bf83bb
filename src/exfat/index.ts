/** Native, read-only exFAT: `exfatDriver` detects and opens a volume as a ReadOnlyFileSystem. */
export {exfatDriver, ExfatFileSystem, parseExfatBoot, parseExfatDirectory, exfatTime, entrySetChecksum, bootChecksum} from './exfat-file-system.js'
