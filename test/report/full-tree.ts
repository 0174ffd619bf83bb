/**
 * A Windows-like volume with every record category trawl reads: browsers (visits, downloads,
 * searches, bookmarks), chats (Skype, Viber: messages, calls, contacts, conversations),
 * pictures with and without GPS, the SYSTEM, SOFTWARE and NTUSER.DAT hives (interfaces,
 * network profiles, RDP, shares), Wi-Fi profiles and a hosts file; made of the committed fixtures.
 * Also writes a hash set naming one picture, so that a collection with it has a hash-set match.
 */
import {copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {REPO_ROOT} from '../helpers/shared.js'

const fixture = (...parts: string[]) => join(REPO_ROOT, 'fixtures', ...parts)

function place(root: string, from: string, to: string): void {
  const target = join(root, ...to.split('/'))
  mkdirSync(dirname(target), {recursive: true})
  copyFileSync(from, target)
}

/** A hosts comment holding markup, a script end tag, a comment opener and U+2028/U+2029. */
export const HOSTILE_COMMENT = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2"> <!-- \u2028\u2029 & &amp; "\'`'
export const HOSTILE_HOSTS_LINE = `10.66.66.66 hostile.example # ${HOSTILE_COMMENT}`

export function buildFullWindowsVolume(dir = mkdtempSync(join(tmpdir(), 'trawl-fullvol-'))): {root: string; hashSet: string} {
  const root = join(dir, 'volume')
  cpSync(fixture('sample/tree'), root, {recursive: true})
  place(root, fixture('browser/firefox-2024/places.sqlite'), 'Users/ana/AppData/Roaming/Mozilla/Firefox/Profiles/k2j3h4.default-release/places.sqlite')
  cpSync(fixture('chat/skype/ana.skype'), join(root, 'Users/ana/AppData/Roaming/Skype/ana.skype'), {recursive: true})
  place(root, fixture('chat/viber/viber.db'), 'Users/bob/AppData/Roaming/ViberPC/447700900123/viber.db')
  for (const hive of ['SYSTEM', 'SOFTWARE']) place(root, fixture('network', hive), `Windows/System32/config/${hive}`)
  place(root, fixture('network/NTUSER.DAT'), 'Users/ana/NTUSER.DAT')
  place(root, fixture('media/gps-offset.jpg'), 'Users/bob/Pictures/gps-offset.jpg')
  place(root, fixture('media/gps.webp'), 'Users/bob/Pictures/gps.webp')
  // evidence text that would break out of HTML or a <script> element if it were not escaped
  const hosts = join(root, 'Windows/System32/drivers/etc/hosts')
  writeFileSync(hosts, `${readFileSync(hosts, 'utf8')}${HOSTILE_HOSTS_LINE}\n`)
  const hashSet = join(dir, 'known.txt')
  const sha256 = createHash('sha256').update(readFileSync(fixture('media/gps.webp'))).digest('hex')
  writeFileSync(hashSet, `# pictures of interest\n${sha256}  gps.webp\n`)
  return {root, hashSet}
}
