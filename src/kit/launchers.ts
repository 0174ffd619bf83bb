/**
 * The launchers at the stick's root and the examiner's one-page README. Each launcher
 * points every place Node, oclif and trawl write at <stick>/work, so a run leaves
 * nothing on the host: temp files (TMP/TEMP/TMPDIR), the home and profile folders
 * oclif takes its cache/config/data folders from (HOME, USERPROFILE, APPDATA,
 * LOCALAPPDATA, XDG_*), oclif's own TRAWL_CACHE_DIR/TRAWL_CONFIG_DIR/TRAWL_DATA_DIR,
 * Node's REPL history, npm's cache, and Node's diagnostic reports (--diagnostic-dir).
 * NODE_OPTIONS and NODE_PATH of the host are cleared: they could load code from the
 * suspect's machine into trawl.
 */

/** Folders under work/ the launchers create; every write of a run goes into one of them. */
export const WORK_FOLDERS = ['tmp', 'home', 'appdata', 'localappdata', 'cache', 'config', 'data', 'state', 'diagnostics', 'npm-cache']

/** Node flags both launchers pass: node:sqlite is stable in use but still flagged experimental in Node 22. */
const NODE_FLAGS = '--disable-warning=ExperimentalWarning'

export function linuxLauncher(): string {
  return `#!/bin/sh
# trawl field kit, Linux x64: run as   sh /path/to/stick/trawl.sh <command> ...
# Everything trawl, Node and oclif write goes to work/ on this stick; nothing to the host.
KIT=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 2
W="$KIT/work"
for d in ${WORK_FOLDERS.join(' ')}; do
  [ -d "$W/$d" ] || mkdir -p "$W/$d" || { echo "trawl: cannot write $W/$d (is the stick read-only?)" >&2; exit 4; }
done
export TMPDIR="$W/tmp" TMP="$W/tmp" TEMP="$W/tmp"
export HOME="$W/home" USERPROFILE="$W/home" APPDATA="$W/appdata" LOCALAPPDATA="$W/localappdata"
export XDG_CACHE_HOME="$W/cache" XDG_CONFIG_HOME="$W/config" XDG_DATA_HOME="$W/data" XDG_STATE_HOME="$W/state"
export TRAWL_CACHE_DIR="$W/cache/trawl" TRAWL_CONFIG_DIR="$W/config/trawl" TRAWL_DATA_DIR="$W/data/trawl"
export NODE_REPL_HISTORY="" npm_config_cache="$W/npm-cache"
unset NODE_OPTIONS NODE_PATH NODE_COMPILE_CACHE
# no core dump on the host if Node crashes
ulimit -c 0 2>/dev/null
exec "$KIT/kit/runtime/linux-x64/node" ${NODE_FLAGS} --diagnostic-dir="$W/diagnostics" "$KIT/kit/app/bin/run.js" "$@"
`
}

export function windowsLauncher(): string {
  const lines = [
    '@echo off',
    'rem trawl field kit, Windows x64: run as   E:\\trawl.cmd <command> ...',
    'rem Everything trawl, Node and oclif write goes to work\\ on this stick; nothing to the host.',
    'setlocal',
    'set "KIT=%~dp0"',
    'if "%KIT:~-1%"=="\\" set "KIT=%KIT:~0,-1%"',
    'set "W=%KIT%\\work"',
    `for %%d in (${WORK_FOLDERS.join(' ')}) do if not exist "%W%\\%%d" mkdir "%W%\\%%d"`,
    'if not exist "%W%\\tmp" (echo trawl: cannot write %W% ^(is the stick read-only?^) 1>&2 & exit /b 4)',
    'set "TMP=%W%\\tmp"',
    'set "TEMP=%W%\\tmp"',
    'set "TMPDIR=%W%\\tmp"',
    'set "HOME=%W%\\home"',
    'set "USERPROFILE=%W%\\home"',
    'set "APPDATA=%W%\\appdata"',
    'set "LOCALAPPDATA=%W%\\localappdata"',
    'set "XDG_CACHE_HOME=%W%\\cache"',
    'set "XDG_CONFIG_HOME=%W%\\config"',
    'set "XDG_DATA_HOME=%W%\\data"',
    'set "XDG_STATE_HOME=%W%\\state"',
    'set "TRAWL_CACHE_DIR=%W%\\cache\\trawl"',
    'set "TRAWL_CONFIG_DIR=%W%\\config\\trawl"',
    'set "TRAWL_DATA_DIR=%W%\\data\\trawl"',
    'rem cmd cannot set a variable to empty, so the REPL history goes to the stick',
    'set "NODE_REPL_HISTORY=%W%\\home\\node_repl_history"',
    'set "npm_config_cache=%W%\\npm-cache"',
    'set "NODE_OPTIONS="',
    'set "NODE_PATH="',
    'set "NODE_COMPILE_CACHE="',
    `"%KIT%\\kit\\runtime\\win-x64\\node.exe" ${NODE_FLAGS} --diagnostic-dir="%W%\\diagnostics" "%KIT%\\kit\\app\\bin\\run.js" %*`,
    'exit /b %ERRORLEVEL%',
  ]
  // cmd.exe reads batch files with CRLF line ends (labels and long lines misbehave with LF)
  return `${lines.join('\r\n')}\r\n`
}

export function examinerReadme(options: {version: string; node: string; platforms: string[]; builtAt: string; signer: string; signerSha256: string; buildKey: boolean}): string {
  const lines = [
    `TRAWL FIELD KIT  (trawl ${options.version}, Node ${options.node}, ${options.platforms.join(', ')}; built ${options.builtAt})`,
    '',
    'Runs from this stick. Installs nothing. Writes nothing to the host: temp files, caches',
    'and logs go to work\\ on this stick, bundles to evidence\\, keys live in keys\\.',
    '',
    'BEFORE YOU GO (on your own machine, once per kit copy)',
    '  Check the kit against its signed manifest, with the certificate of whoever built it:',
    '    Windows:  E:\\trawl.cmd kit verify --cert build-cert.pem',
    '    Linux:    sh /media/stick/trawl.sh kit verify --cert build-cert.pem',
    `  This kit is signed by: ${options.signer}`,
    `  Certificate SHA-256:   ${options.signerSha256}`,
    ...(options.buildKey ? ['  (a BUILD KEY made by `npm run kit`: it proves the files are unchanged, not who built them)'] : []),
    '  Make your signing key if you have none (keep the passphrase in a variable, never on the command line):',
    '    set TRAWL_PASS=...           (Linux: export TRAWL_PASS=...)',
    '    trawl.cmd keys create --name "A. Examiner" --org "Unit" --out keys --passphrase-env TRAWL_PASS',
    '',
    'ON SCENE  (E: is the stick; use the stick\'s letter or mount point)',
    '  Windows (an administrator prompt):',
    '    E:\\trawl.cmd collect --source C:\\ --case 2026-0042 --examiner "A. Examiner"',
    '        --key E:\\keys\\key.pem --cert E:\\keys\\cert.pem --passphrase-env TRAWL_PASS --live',
    '  Linux:',
    '    sh /media/stick/trawl.sh collect --source /mnt/suspect --case 2026-0042 --examiner "A. Examiner"',
    '        --key /media/stick/keys/key.pem --cert /media/stick/keys/cert.pem --passphrase-env TRAWL_PASS',
    '  Without --out the bundle goes to evidence\\<case>_<host>_<UTC time>.zip on this stick. trawl',
    '  refuses an --out on the evidence\'s own volume. Ctrl-C seals what was collected as INCOMPLETE.',
    '  Every start checks the kit; a changed kit is announced with "!!! WARNING" lines: stop and re-copy.',
    '',
    'BACK AT THE LAB',
    '    trawl.cmd verify evidence\\<bundle>.zip --cert keys\\cert.pem',
    '  The bundle records the SHA-256 of kit\\kit-manifest.json (manifest.json, tool.kit): it names',
    '  the exact build that collected it. Keep a copy of this kit (or its manifest) with the case.',
    '',
    'COPYING THE KIT  Copy the whole folder to a FAT32, exFAT or NTFS stick (no file is over 4 GiB,',
    'there are no links). On Linux a FAT stick must be mounted with exec permission for the runtime.',
    'Windows Error Reporting may still keep a crash dump in the profile if Node itself crashes;',
    'trawl cannot turn that off without writing to the registry.',
  ]
  return `${lines.join('\r\n')}\r\n`
}
