#!/usr/bin/env bash
# Rebuilds fixtures/ese/srum/*: the esedbexport (Debian libesedb-utils) export of every
# table of the three real SRUDB.dat in ../shared/testdata/windows/srum/, the oracle the
# ESE reader is tested against (test/ese/srum-differential.test.ts). Output is kept as
# esedbexport wrote it (gzip -n, so rebuilding gives the same bytes); the test does the
# normalising, documented in fixtures/ese/README.md.
#   bash scripts/ese-goldens.sh            (needs: apt-get install libesedb-utils)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${TRAWL_SHARED_DIR:-$root/../shared/testdata}"
out="$root/fixtures/ese/srum"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
esedbexport -V | head -1 > "$work/version"
for db in dam_win10_rathbunvm_clean dam_win11_rathbunvm_clean go-ese; do
  esedbexport -m tables -t "$work/$db" "$shared/windows/srum/$db/SRUDB.dat" > /dev/null
  rm -rf "${out:?}/$db"
  mkdir -p "$out/$db"
  : > "$out/$db/tables.txt"
  # esedbexport names each file TABLE.N, N its position in the catalog.
  for file in $(ls "$work/$db.export" | sort -t. -k2 -n); do
    table="${file%.*}"
    printf '%s\n' "$table" >> "$out/$db/tables.txt"
    gzip -n -9 < "$work/$db.export/$file" > "$out/$db/$table.tsv.gz"
  done
done
cp "$work/version" "$out/esedbexport-version.txt"
