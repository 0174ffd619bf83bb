/**
 * DPAPI on the running Windows machine (`collect --live --unprotect-keys`): a blob protected
 * for the user trawl runs as (DataProtectionScope.CurrentUser) is handed to Windows to
 * unprotect, as the application that protected it does each time it starts. Used for the keys
 * Electron apps keep in `Local State` os_crypt.encrypted_key (Signal Desktop's database key,
 * Discord's token key): without the user's logon secret, a live session is the only way to them.
 *
 * Run like the volume query (volumes.ts): PowerShell by its absolute path under %SystemRoot%,
 * no profile, no shell, a timeout; the script holds no double quotes (execFile passes it as
 * one argument). Only the protected blob is on the command line, never a key: the plaintext
 * comes back on the child's standard output, a pipe, and is not written anywhere by this
 * module. What Windows itself records of any process started on it (Prefetch, and the
 * command line in the PowerShell log where script block logging is enabled by policy) it
 * records of this one as of the volume query; the examiner opts in with the flag.
 *
 * A blob protected for another user, or on another machine, is refused by Windows: the
 * refusal is returned as the reason, nothing is guessed.
 */
import {win32} from 'node:path'
import {type CommandRunner, outputText, runWithoutShell} from './collect.js'
import {windowsSystem32} from './commands.js'

export interface DpapiUnprotected {
  plaintext: Buffer
  /** The Windows user whose DPAPI keys opened it ([Environment]::UserName). */
  user: string
  commandLine: string
  at: string
}

export interface DpapiRefused {
  error: string
  commandLine: string
  at: string
}

export type DpapiResult = DpapiUnprotected | DpapiRefused

/** Unprotects one blob for the current user; never throws (a refusal is a result). */
export type DpapiUnprotect = (blob: Buffer) => Promise<DpapiResult>

export interface DpapiOptions {
  runner?: CommandRunner
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  now?: () => string
}

/** The script, with the blob as base64 (its alphabet holds no quote): prints `user|plaintext base64`. */
export function unprotectScript(blob: Buffer): string {
  return [
    "$ErrorActionPreference='Stop'",
    'Add-Type -AssemblyName System.Security',
    `$b=[Convert]::FromBase64String('${blob.toString('base64')}')`,
    '$p=[Security.Cryptography.ProtectedData]::Unprotect($b,$null,[Security.Cryptography.DataProtectionScope]::CurrentUser)',
    "[Environment]::UserName+'|'+[Convert]::ToBase64String($p)",
  ].join('; ')
}

export function liveDpapi(options: DpapiOptions = {}): DpapiUnprotect {
  const powershell = win32.join(windowsSystem32(options.env), 'WindowsPowerShell', 'v1.0', 'powershell.exe')
  const now = options.now ?? (() => new Date().toISOString())
  return async (blob) => {
    const args = ['-NoProfile', '-NonInteractive', '-Command', unprotectScript(blob)]
    const commandLine = [powershell, ...args].join(' ')
    const at = now()
    const result = await (options.runner ?? runWithoutShell)(powershell, args, options.timeoutMs ?? 60_000)
    const answer = /^([^|\r\n]*)\|([A-Za-z0-9+/=]*)\s*$/m.exec(outputText(result.stdout))
    if (result.error || result.exitCode !== 0 || !answer) {
      const stderr = outputText(result.stderr).trim().split(/\r?\n/).find((l) => l.trim() !== '')?.trim()
      const why = result.error ?? (result.exitCode !== 0 ? `exit code ${result.exitCode}${stderr ? `: ${stderr}` : ''}` : 'PowerShell printed no answer')
      return {error: `Windows did not unprotect the DPAPI blob (${why})`, commandLine, at}
    }
    return {plaintext: Buffer.from(answer[2], 'base64'), user: answer[1], commandLine, at}
  }
}
