#!/bin/sh
# Runs the Linux field kit from a read-only stick and lists every change it made outside the stick.
# Called as: unshare -m --propagation private sh no-writes.sh KIT TREE FULL
#   KIT   the built kit (its work/, evidence/, keys/ stay writable, as on a real stick)
#   TREE  a Windows-like evidence folder, copied onto its own file system (as a suspect's disk is)
#   FULL  1: keys create, collect, verify, kit verify; 0: keys create and kit verify only
# In this private mount namespace the host's usual writable folders (/tmp, /var/tmp, /dev/shm, HOME)
# are fresh, empty tmpfs: anything in them afterwards was written by the kit, and no other process on
# the machine can be mistaken for it. The rest of the host is watched with find -newer a marker.
set -eu
KIT=$1
TREE=$2
FULL=$3
mount -t tmpfs trawl-test /mnt
mkdir /mnt/stick /mnt/suspect /mnt/marks
# the stick: read-only, except the folders a kit writes into
mount --bind "$KIT" /mnt/stick
mount -o remount,bind,ro /mnt/stick
for d in work evidence keys; do mount --bind "$KIT/$d" "/mnt/stick/$d"; done
# the evidence: its own file system, then read-only
mount -t tmpfs suspect /mnt/suspect
cp -a "$TREE/." /mnt/suspect/
mount -o remount,ro /mnt/suspect
HOST_HOME=${HOME:-/root}
for d in /tmp /var/tmp /dev/shm "$HOST_HOME"; do mount -t tmpfs watched "$d"; done
touch /mnt/marks/before
sleep 1

export TRAWL_TEST_PASS='correct horse'
cd /mnt/stick
run() {
  name=$1
  shift
  set +e
  sh /mnt/stick/trawl.sh "$@" >"/mnt/marks/$name.out" 2>&1
  code=$?
  set -e
  echo "EXIT $name $code"
  sed "s/^/  $name| /" "/mnt/marks/$name.out"
}
run version --version
run keys keys create --name 'Field Examiner' --org 'Test Lab' --out /mnt/stick/keys/examiner --passphrase-env TRAWL_TEST_PASS
if [ "$FULL" = 1 ]; then
  run collect collect --source /mnt/suspect --case NW-1 --examiner 'Field Examiner' --key /mnt/stick/keys/examiner/key.pem --cert /mnt/stick/keys/examiner/cert.pem --passphrase-env TRAWL_TEST_PASS
  run verify verify "$(ls /mnt/stick/evidence/*.zip | head -n 1)" --cert /mnt/stick/keys/examiner/cert.pem
fi
run kitverify kit verify

# anything in the fresh folders, anything newer than the marker elsewhere on the host, and on the evidence
for d in /tmp /var/tmp /dev/shm "$HOST_HOME"; do find "$d" -mindepth 1 -printf 'CHANGED %p\n'; done
for d in /etc /usr /opt /srv /var /mnt/suspect; do
  [ -d "$d" ] && find "$d" -xdev -newer /mnt/marks/before -printf 'CHANGED %p\n'
done
# the read-only part of the stick is unchanged too (it cannot be written; this says so)
find /mnt/stick -xdev -newer /mnt/marks/before -not -path '/mnt/stick/work*' -not -path '/mnt/stick/evidence*' -not -path '/mnt/stick/keys*' -printf 'CHANGED %p\n'
echo DONE
