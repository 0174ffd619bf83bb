import {expect, it} from 'vitest'
import {exifParser, type ExifRecord} from '../../src/parsers/media/exif.js'
import {describeShared, sharedFile} from '../helpers/shared.js'
import {parseAll, parserInputFor} from '../helpers/parser-input.js'
import {expectMatchesExiftool, loadGolden} from './golden.js'

const golden = loadGolden('shared')

async function exifOf(relative: string): Promise<{record: ExifRecord | undefined; errors: unknown[]}> {
  const records = await parseAll(exifParser, parserInputFor(sharedFile(relative)))
  return {
    record: records.find((r) => r.type === 'media.exif') as ExifRecord | undefined,
    errors: records.filter((r) => r.type === 'error'),
  }
}

describeShared('EXIF of the real camera pictures equals exiftool -j -n', () => {
  for (const relative of Object.keys(golden)) {
    it(`${relative}: every field as exiftool reports it`, async () => {
      const {record, errors} = await exifOf(relative)
      expect(errors).toEqual([])
      expect(record).toBeDefined()
      expectMatchesExiftool(record!, golden[relative])
    })
  }
})
