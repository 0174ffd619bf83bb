#!/usr/bin/env node
/**
 * Chat benchmark: parses an Apple Messages sms.db and an Android WhatsApp msgstore.db of
 * N messages (generated into .bench/ from the fixtures' real schemas: the sms.db inside
 * fixtures/chat/iphone-backup and fixtures/chat/android msgstore.db) and reports messages
 * per second and the peak RSS of a fresh process that only parses (it must not grow with N:
 * rows are streamed). For reference it times the sqlite3 CLI running the same joins
 * in the same run and prints the ratio (parser time / sqlite3 time).
 *
 *   npm run build && node scripts/bench/chat.mjs [messages...]
 */
import Database from 'better-sqlite3'
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, rmSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const benchDir = join(root, '.bench')
const smsTemplate = join(root, 'fixtures/chat/iphone-backup/00008030-001A2B3C4D5E802E/3d/3d0d7e5fb2ce288813306e4d4636395e047a3d28')
const msgstoreTemplate = join(root, 'fixtures/chat/android/com.whatsapp/databases/msgstore.db')
const {chatParsers} = await import(join(root, 'dist/src/parsers/chat/index.js'))
const parser = (id) => chatParsers.find((p) => p.id === id)

const SMS_SQL = `SELECT m.ROWID, m.guid, m.text, m.attributedBody, m.handle_id, m.service, m.account, m.destination_caller_id, m.date, m.date_read,
  m.date_delivered, m.is_from_me, m.is_read, h.id, j.chat_id, c.chat_identifier FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id
  LEFT JOIN chat_message_join j ON j.message_id = m.ROWID LEFT JOIN chat c ON c.ROWID = j.chat_id ORDER BY m.ROWID`
const WA_SQL = `SELECT m._id, m.chat_row_id, m.from_me, m.key_id, m.sender_jid_row_id, m.status, m.timestamp, m.received_timestamp, m.message_type,
  m.text_data, j.raw_string, s.raw_string, mm.file_path FROM message m LEFT JOIN chat c ON c._id = m.chat_row_id LEFT JOIN jid j ON j._id = c.jid_row_id
  LEFT JOIN jid s ON s._id = m.sender_jid_row_id LEFT JOIN message_media mm ON mm.message_row_id = m._id ORDER BY m._id`

function generateSms(n) {
  const file = join(benchDir, `sms-${n}.db`)
  rmSync(file, {force: true})
  copyFileSync(smsTemplate, file)
  const db = new Database(file)
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  db.exec('DELETE FROM message; DELETE FROM chat_message_join; DELETE FROM message_attachment_join; DELETE FROM attachment;')
  const insert = db.prepare('INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me, destination_caller_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  const join_ = db.prepare('INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (?, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= n; i++) {
      const date = 644241600000000000n + BigInt(i) * 1_000_000_007n
      insert.run(i, `G${i}`, `message number ${i} with some ordinary text in it`, (i % 2) + 1, i % 3 ? 'iMessage' : 'SMS', date, i % 2, '+15551230000')
      join_.run((i % 2) + 1, i, date)
    }
  })()
  db.close()
  return file
}

function generateMsgstore(n) {
  const file = join(benchDir, `msgstore-${n}.db`)
  rmSync(file, {force: true})
  copyFileSync(msgstoreTemplate, file)
  const db = new Database(file)
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  db.exec('DELETE FROM message; DELETE FROM message_media; DELETE FROM messages;')
  const insert = db.prepare('INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, received_timestamp, message_type, text_data, sort_id) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 0, ?, ?)')
  db.transaction(() => {
    for (let i = 1; i <= n; i++) insert.run(i, (i % 2) + 1, i % 2, `K${i}`, i % 2 ? 0 : 3, 1622548800000 + i * 1000, 1622548800000 + i * 1000 + 500, `whatsapp message ${i} with some ordinary text`, i)
  })()
  db.close()
  return file
}

function inputFor(file) {
  return {
    copyPath: file, companions: [], bundlePath: `files/bench/${file}`, sourcePath: `Users/u/bench/com.whatsapp/databases/${file.split('/').pop()}`, volume: 'bench',
    artifact: {id: 'bench', name: 'bench', category: 'chat'}, captures: {}, attributes: {},
    collectRelated: async () => undefined, reportCoverage: () => undefined, source: (extra) => ({file: `files/bench/${file}`, ...extra}),
  }
}

async function time(id, file) {
  const start = process.hrtime.bigint()
  let messages = 0
  for await (const record of parser(id).parse(inputFor(file))) if (record.type === 'chat.message') messages++
  return {messages, seconds: Number(process.hrtime.bigint() - start) / 1e9}
}

function sqlite3Time(file, sql) {
  const start = process.hrtime.bigint()
  const result = spawnSync('sqlite3', ['-readonly', '-json', file, sql], {maxBuffer: 1 << 30})
  if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`)
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** Parses in a fresh process so its peak RSS is the parser's alone. */
function timeInChild(id, file) {
  // a 64 MiB heap cap: a parser that kept rows would run out of memory here instead of only growing
  const child = spawnSync(process.execPath, ['--max-old-space-size=64', fileURLToPath(import.meta.url), '--child', id, file], {encoding: 'utf8'})
  if (child.status !== 0) throw new Error(`${id} child failed: ${child.stderr}`)
  return JSON.parse(child.stdout)
}

if (process.argv[2] === '--child') {
  const result = await time(process.argv[3], process.argv[4])
  console.log(JSON.stringify({...result, maxRssMiB: process.resourceUsage().maxRSS / 1024}))
  process.exit(0)
}

mkdirSync(benchDir, {recursive: true})
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
for (const n of sizes.length > 0 ? sizes : [100_000, 400_000]) {
  for (const [id, generate, sql] of [['apple-messages', generateSms, SMS_SQL], ['whatsapp-android', generateMsgstore, WA_SQL]]) {
    if (!existsSync(id === 'apple-messages' ? smsTemplate : msgstoreTemplate)) throw new Error('run fixtures/chat/build.sh first')
    const file = generate(n)
    const ours = timeInChild(id, file)
    const reference = sqlite3Time(file, sql)
    if (ours.messages !== n) throw new Error(`${id}: ${ours.messages} messages, expected ${n}`)
    console.log(`${id.padEnd(17)} ${String(n).padStart(7)} messages  ${(n / ours.seconds).toFixed(0).padStart(8)} msg/s  ${ours.seconds.toFixed(2)} s  sqlite3 -json ${reference.toFixed(2)} s  ratio ${(ours.seconds / reference).toFixed(2)}  parser peak rss ${ours.maxRssMiB.toFixed(0)} MiB`)
  }
}
