import {execFileSync} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/shared.js'
import {makeKeys, scratchDir, trawl} from '../helpers/cli.js'
import {fatImage} from './fat-fixtures.js'

const built = existsSync(join(REPO_ROOT, 'dist/commands/image/ls.js'))

/** A camera card as a lab receives it: FAT32 or exFAT, pictures under DCIM/. */
describe.skipIf(!built)('FAT32 and exFAT camera cards from the CLI (after npm run build)', () => {
  const dir = scratchDir()
  const cards = [
    {name: 'fat32', bytes: () => fatImage('fat32'), fileSystem: 'fat32', label: 'FAT32', picture: 'DCIM/100CANON/IMG_0001.JPG'},
    {name: 'exfat', bytes: () => gunzipSync(readFileSync(join(REPO_ROOT, 'fixtures/exfat/exfat.img.gz'))), fileSystem: 'exfat', label: 'EXFAT', picture: 'DCIM/100CANON/IMG_0001.JPG'},
  ]
  for (const card of cards) {
    it(`${card.name}: image info, ls and cat read it; collect takes the picture's EXIF into a bundle that verifies`, async () => {
      const image = join(dir, `${card.name}.img`)
      writeFileSync(image, card.bytes())
      const info = await trawl(['image', 'info', image])
      expect(info.code).toBe(0)
      expect(info.stdout).toContain(`: ${card.fileSystem} label "${card.label}"`)
      if (card.name === 'fat32') expect(info.stdout).toMatch(/note: FAT times are the local time .* not converted to UTC/)
      const ls = await trawl(['image', 'ls', image, '-r'])
      expect(ls.code).toBe(0)
      expect(ls.stdout).toContain(`\t${card.picture}\n`)
      const picture = execFileSync(process.execPath, [join(REPO_ROOT, 'bin/run.js'), 'image', 'cat', image, card.picture])
      expect(picture.equals(readFileSync(join(REPO_ROOT, 'fixtures/media/gps-offset.jpg')))).toBe(true)
      const keys = await makeKeys(join(dir, `keys-${card.name}`))
      const bundle = join(dir, `${card.name}.zip`)
      const result = await trawl(['collect', '--source', image, '--out', bundle, '--case', 'CARD-1', '--examiner', 'Test Examiner', '--json', ...keys.signArgs], {env: keys.env})
      expect(result.code).toBe(0)
      const records = execFileSync('unzip', ['-p', bundle, 'parsed/camera-card-pictures.jsonl'], {encoding: 'utf8'}).trim().split('\n').map((l) => JSON.parse(l))
      expect(records.length).toBeGreaterThan(0)
      expect(JSON.stringify(records[0])).toContain('IMG_0001.JPG')
      expect((await trawl(['verify', bundle, '--cert', keys.cert])).code).toBe(0)
    })
  }
})
