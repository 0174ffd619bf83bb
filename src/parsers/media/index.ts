import type {Parser} from '../types.js'
import {exifParser} from './exif.js'

export {groupByCamera, type CameraGroup} from './camera.js'
export {sniffPicture, type PictureFormat} from './sniff.js'
export type {ExifRecord, GpsFix} from './exif.js'

/** The picture parsers, registered by src/parsers/index.ts. */
export const mediaParsers: Parser[] = [exifParser]
