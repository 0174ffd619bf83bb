import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {driveLetterOf, parseWindowsDevicePath} from '../../src/image/device-path.js'

const onWindows = (text: string) => parseWindowsDevicePath(text, 'win32')

describe('Windows names of volumes and disks read raw (platform win32 injected)', () => {
  it('reads a drive letter alone as the volume, in either case, and the same letter with a trailing separator as its root folder', () => {
    expect(onWindows('C:')).toEqual({kind: 'volume', device: '\\\\.\\C:', driveLetter: 'C', name: 'C:'})
    expect(onWindows('c:')).toEqual({kind: 'volume', device: '\\\\.\\C:', driveLetter: 'C', name: 'C:'})
    expect(onWindows('C:\\')).toBeUndefined()
    expect(onWindows('C:/')).toBeUndefined()
  })

  it('reads \\\\.\\C: and \\\\?\\C: as the volume, and \\\\.\\C:\\ (with the separator) as the folder', () => {
    expect(onWindows('\\\\.\\C:')).toMatchObject({kind: 'volume', device: '\\\\.\\C:', driveLetter: 'C'})
    expect(onWindows('\\\\?\\d:')).toMatchObject({kind: 'volume', device: '\\\\.\\D:', driveLetter: 'D'})
    expect(onWindows('//./E:')).toMatchObject({device: '\\\\.\\E:'})
    expect(onWindows('\\\\.\\C:\\')).toBeUndefined()
    expect(onWindows('\\\\.\\C:\\Windows\\System32\\config\\SYSTEM')).toBeUndefined()
  })

  it('reads a volume GUID path as mountvol prints it without its trailing backslash as the volume, with it as the root folder', () => {
    const guid = '{4C1B02C1-D990-11DC-99AE-806E6F6E6963}'
    expect(onWindows(`\\\\?\\Volume${guid}`)).toEqual({kind: 'volume', device: '\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}', name: 'Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}'})
    expect(onWindows(`\\\\.\\volume${guid}`)?.device).toBe('\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}')
    expect(onWindows(`\\\\?\\Volume${guid}\\`)).toBeUndefined()
    expect(onWindows('\\\\?\\Volume{not-a-guid}')).toBeUndefined()
  })

  it('reads \\\\.\\PhysicalDriveN as a whole disk', () => {
    expect(onWindows('\\\\.\\PhysicalDrive0')).toEqual({kind: 'disk', device: '\\\\.\\PhysicalDrive0', name: 'PhysicalDrive0'})
    expect(onWindows('\\\\.\\physicaldrive12')).toMatchObject({kind: 'disk', device: '\\\\.\\PhysicalDrive12'})
    expect(onWindows('\\\\.\\PhysicalDrive')).toBeUndefined()
  })

  it('reads a shadow copy by the name vssadmin prints and by its short form, always opening it through GLOBALROOT', () => {
    const shadow = {kind: 'volume', device: '\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3', name: 'HarddiskVolumeShadowCopy3'}
    expect(onWindows('\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3')).toEqual(shadow)
    expect(onWindows('\\\\.\\HarddiskVolumeShadowCopy3')).toEqual(shadow)
    expect(onWindows('\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3\\')).toBeUndefined()
    expect(onWindows('\\\\.\\HarddiskVolume2')).toMatchObject({kind: 'volume', device: '\\\\?\\GLOBALROOT\\Device\\HarddiskVolume2'})
  })

  it('leaves UNC paths, relative drive paths and other devices to the path route', () => {
    for (const path of [
      '\\\\server\\share',
      '\\\\server\\share\\C:',
      '\\\\?\\UNC\\server\\share',
      '//server/share',
      'C:foo',
      'C:..',
      'C:.',
      'CC:',
      '1:',
      'C',
      '\\\\.\\pipe\\trawl',
      '\\\\.\\COM1',
      '\\\\.\\CdRom0',
      '\\C:',
      '',
    ]) {
      expect(onWindows(path), path).toBeUndefined()
    }
  })

  it('is never a device on Linux or macOS, where C: is a file name like any other', () => {
    for (const path of ['C:', '\\\\.\\C:', '\\\\.\\PhysicalDrive0']) {
      expect(parseWindowsDevicePath(path, 'linux')).toBeUndefined()
      expect(parseWindowsDevicePath(path, 'darwin')).toBeUndefined()
    }
  })

  const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split(''))
  const separator = fc.constantFrom('\\', '/')
  const namespace = fc.tuple(separator, separator, fc.constantFrom('.', '?'), separator).map((parts) => parts.join(''))

  it('gives every spelling of a drive volume (either namespace, either slash, either case) the one device of its upper-case letter', () => {
    fc.assert(
      fc.property(letter, fc.option(namespace, {nil: undefined}), (l, prefix) => {
        const parsed = onWindows(`${prefix ?? ''}${l}:`)
        expect(parsed).toEqual({kind: 'volume', device: `\\\\.\\${l.toUpperCase()}:`, driveLetter: l.toUpperCase(), name: `${l.toUpperCase()}:`})
      }),
    )
  })

  it('never takes a name ending in a separator for a device: that is the rule that keeps C:\\ a folder', () => {
    const deviceLike = fc.oneof(
      letter.map((l) => `${l}:`),
      fc.tuple(namespace, letter).map(([p, l]) => `${p}${l}:`),
      fc.tuple(namespace, fc.nat({max: 999})).map(([p, n]) => `${p}PhysicalDrive${n}`),
      fc.tuple(namespace, fc.uuid()).map(([p, u]) => `${p}Volume{${u}}`),
      fc.tuple(namespace, fc.nat({max: 99999})).map(([p, n]) => `${p}GLOBALROOT\\Device\\HarddiskVolumeShadowCopy${n}`),
      fc.string(),
    )
    fc.assert(
      fc.property(deviceLike, separator, (name, sep) => {
        expect(onWindows(`${name}${sep}`)).toBeUndefined()
      }),
    )
  })

  it('opens the same device again from the name it opens (the canonical name is stable), and never throws', () => {
    const names = fc.oneof(
      fc.tuple(namespace, fc.nat({max: 999})).map(([p, n]) => `${p}physicalDRIVE${n}`),
      fc.tuple(namespace, fc.uuid()).map(([p, u]) => `${p}volume{${u.toUpperCase()}}`),
      fc.tuple(namespace, fc.nat({max: 99999}), fc.boolean()).map(([p, n, shadow]) => `${p}HarddiskVolume${shadow ? 'ShadowCopy' : ''}${n}`),
      fc.tuple(namespace, letter).map(([p, l]) => `${p}${l}:`),
      fc.string({maxLength: 60}),
    )
    fc.assert(
      fc.property(names, (name) => {
        const parsed = onWindows(name)
        if (parsed) expect(onWindows(parsed.device)).toEqual(parsed)
      }),
      {numRuns: 2000},
    )
  })

  it('finds the drive letter an output path is written on, none for UNC paths', () => {
    expect(driveLetterOf('e:\\evidence\\case.zip')).toBe('E')
    expect(driveLetterOf('C:/x')).toBe('C')
    expect(driveLetterOf('\\\\server\\share\\case.zip')).toBeUndefined()
    expect(driveLetterOf('\\\\?\\E:\\case.zip')).toBe('E')
    expect(driveLetterOf('\\\\?\\UNC\\server\\share\\case.zip')).toBeUndefined()
    expect(driveLetterOf('/media/stick/case.zip')).toBeUndefined()
  })
})
