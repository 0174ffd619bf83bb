/**
 * Fujifilm RAF: a big-endian header ('FUJIFILMCCD-RAW ', format and camera ids)
 * whose bytes 84-91 give the offset and length of an embedded JPEG preview. The
 * camera's EXIF is that JPEG's APP1 segment, at its start.
 * (Layout as documented by ExifTool's FujiFilm.pm "RAF" and LibRaw's parse_fuji.)
 */
import type {FileHandle} from 'node:fs/promises'
import type {ByteRange} from './webp.js'

export async function findRafPreview(handle: FileHandle, fileSize: number): Promise<ByteRange | undefined> {
  const header = Buffer.alloc(92)
  const {bytesRead} = await handle.read(header, 0, 92, 0)
  if (bytesRead < 92 || header.toString('latin1', 0, 16) !== 'FUJIFILMCCD-RAW ') return undefined
  const offset = header.readUInt32BE(84)
  const length = header.readUInt32BE(88)
  if (offset < 92 || length < 4 || offset + length > fileSize) return undefined
  return {offset, length}
}
