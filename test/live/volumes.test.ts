import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {ExitCode, UsageError} from '../../src/errors.js'
import {LOGICAL_DISK_QUERY, chooseLiveVolumes, listLiveVolumes, parseLogicalDisks} from '../../src/live/volumes.js'
import {answering} from '../helpers/command-runner.js'

/**
 * The answer of the Win32_LogicalDisk query in the shape it prints (`C:|3|NTFS`): written for
 * this test from the documented class, not recorded on a Windows machine.
 */
const ANSWER = ['C:|3|NTFS', 'D:|5|', 'E:|2|FAT32', 'F:|3|NTFS', 'G:|3|ReFS', 'Z:|4|NTFS', 'H:|3|NTFS', ''].join('\r\n')


describe('the fixed NTFS volumes a live Windows run reads without --source', () => {
  it('asks Win32_LogicalDisk through PowerShell named by its absolute path under %SystemRoot%, with a timeout, no profile, no prompt', async () => {
    const {runner, calls} = answering(ANSWER)
    const list = await listLiveVolumes({platform: 'win32', env: {SystemRoot: 'D:\\WINDOWS'}, runner})
    expect(calls).toEqual([
      {file: 'D:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', LOGICAL_DISK_QUERY], timeoutMs: 60_000},
    ])
    // one argument, nothing in it a command line would need to escape
    expect(LOGICAL_DISK_QUERY).not.toMatch(/["\\`]/)
    expect(list.commandLine).toBe(`D:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -NoProfile -NonInteractive -Command ${LOGICAL_DISK_QUERY}`)
  })

  it('reads every fixed NTFS volume raw and says why each other drive is not read', async () => {
    const {runner} = answering(ANSWER)
    const list = await listLiveVolumes({platform: 'win32', env: {}, runner, medium: 'H:\\trawl'})
    expect(list.devices).toEqual(['\\\\.\\C:', '\\\\.\\F:'])
    expect(list.notCollected).toEqual([
      'D: not collected: it is an optical drive (name it with --source D: to read it)',
      'E: not collected: it is removable (name it with --source E: to read it)',
      'G: not collected: its file system is ReFS, not NTFS (collect its folders with --source G:\\)',
      'H: not collected: trawl runs from it (the collection medium)',
      'Z: not collected: it is a network drive (name it with --source Z: to read it)',
    ])
  })

  it('skips lines that are not drives (PowerShell warnings, a byte-order mark) and sorts by letter', () => {
    expect(parseLogicalDisks('\uFEFFWARNING: something\r\nf:|3|ntfs\r\n\r\nC:|3|NTFS \r\nnot|a|drive\r\n')).toEqual([
      {letter: 'C', driveType: 3, fileSystem: 'NTFS'},
      {letter: 'F', driveType: 3, fileSystem: 'ntfs'},
    ])
    expect(chooseLiveVolumes(parseLogicalDisks('f:|3|ntfs')).devices).toEqual(['\\\\.\\F:'])
  })

  it('accounts for every drive listed: each is read or named as not read, never both, never neither', () => {
    const disk = fc.record({letter: fc.constantFrom(...'CDEFGHIJ'.split('')), driveType: fc.integer({min: 0, max: 6}), fileSystem: fc.constantFrom('NTFS', 'FAT32', 'exFAT', 'ReFS', '')})
    fc.assert(
      fc.property(fc.uniqueArray(disk, {selector: (d) => d.letter, maxLength: 8}), fc.option(fc.constantFrom('C:\\kit', 'E:\\', '\\\\server\\kit'), {nil: undefined}), (disks, medium) => {
        const {devices, notCollected} = chooseLiveVolumes(disks, medium)
        const read = devices.map((d) => d.slice(4, 5))
        const notRead = notCollected.map((line) => line.slice(0, 1))
        expect([...read, ...notRead].sort()).toEqual(disks.map((d) => d.letter).sort())
        for (const letter of read) {
          const d = disks.find((x) => x.letter === letter)!
          expect([d.driveType, d.fileSystem]).toEqual([3, 'NTFS'])
          expect(medium?.startsWith(`${letter}:`)).not.toBe(true)
        }
      }),
    )
  })

  it('fails before anything is written when the volumes cannot be listed, naming the way out', async () => {
    const failed = answering('', {exitCode: null, error: 'spawn C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe ENOENT'})
    await expect(listLiveVolumes({platform: 'win32', env: {}, runner: failed.runner})).rejects.toThrow(
      /cannot list this machine's volumes \(spawn .*powershell.exe ENOENT\); name them with --source C:/,
    )
    const denied = answering('', {exitCode: 1, stderr: Buffer.from('Get-CimInstance : Access denied \r\nAt line:1')})
    await expect(listLiveVolumes({platform: 'win32', env: {}, runner: denied.runner})).rejects.toThrow(/exit code 1: Get-CimInstance : Access denied\); name them/)
    const none = answering('D:|5|\r\nE:|2|FAT32\r\n')
    await expect(listLiveVolumes({platform: 'win32', env: {}, runner: none.runner})).rejects.toThrow(/no fixed NTFS volume to read \(D: not collected: .*; E: not collected: .*\); name one with --source/)
  })

  it('on Linux asks the examiner to name the source: which disk holds what is not for a triage tool to guess', async () => {
    const {runner, calls} = answering(ANSWER)
    const error = await listLiveVolumes({platform: 'linux', runner}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(ExitCode.unusable)
    expect((error as UsageError).message).toMatch(/--source is required here: a block device \(\/dev\/sda1\)/)
    expect(calls).toEqual([])
  })
})
