import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {groupItems, parseShard, resolveItems, selectShard} from '../../src/batch/items.js'
import {scratchDir} from '../helpers/cli.js'

function folder(names: string[]): string {
  const dir = scratchDir('trawl-batch-items-')
  for (const name of names) {
    mkdirSync(join(dir, name, '..'), {recursive: true})
    writeFileSync(join(dir, name), '')
  }
  return dir
}

describe('evidence items from segment files', () => {
  const names = [
    'pc1.E01', 'pc1.E02', 'pc1.E10', 'pc1.E03', 'pc1.EAA', 'pc1.E99',
    'pc2.001', 'pc2.002', 'pc2.003',
    'laptop.raw.000', 'laptop.raw.001',
    'xaa', 'xab', 'xac',
    'usb.dd',
    'notes', 'disk.img',
    'pc1.E01.txt', 'acquisition.log', 'pc2.001.md5',
  ]
  const dir = folder(names)

  it('groups each set into one item named after it, first segment first, segments in number order', async () => {
    const {items, ignored, unmatched} = await resolveItems([join(dir, '*')])
    expect(unmatched).toEqual([])
    expect(items.map((i) => [i.name, i.layout, i.segments.map((s) => s.slice(dir.length + 1))])).toEqual([
      ['disk', 'single', ['disk.img']],
      ['laptop', 'split-numeric', ['laptop.raw.000', 'laptop.raw.001']],
      ['notes', 'single', ['notes']],
      ['pc1', 'ewf', ['pc1.E01', 'pc1.E02', 'pc1.E03', 'pc1.E10', 'pc1.E99', 'pc1.EAA']],
      ['pc2', 'split-numeric', ['pc2.001', 'pc2.002', 'pc2.003']],
      ['usb', 'single', ['usb.dd']],
      ['x', 'split-alpha', ['xaa', 'xab', 'xac']],
    ])
    for (const item of items) expect(item.source).toBe(item.segments[0])
    // imager logs and hash files a glob picks up are listed as ignored, not taken for images
    expect(ignored.map((i) => i.path.slice(dir.length + 1))).toEqual(['acquisition.log', 'pc1.E01.txt', 'pc2.001.md5'])
  })

  it('gives the same sorted list whatever the order and overlap of the arguments', async () => {
    const a = await resolveItems([join(dir, 'x*'), join(dir, 'pc*'), join(dir, 'usb.dd')])
    const b = await resolveItems([join(dir, 'usb.dd'), join(dir, 'pc1.E02'), join(dir, 'pc*'), join(dir, 'x*'), join(dir, 'pc1.E*')])
    expect(b.items).toEqual(a.items)
    expect(a.items.map((i) => i.name)).toEqual(['pc1', 'pc2', 'usb', 'x'])
  })

  it('tells apart two items of the same name (an E01 and a raw of one disk, or one name in two folders)', () => {
    const d = folder(['a/pc7.E01', 'a/pc7.raw', 'b/pc7.E01'])
    const {items} = groupItems([join(d, 'a/pc7.E01'), join(d, 'a/pc7.raw'), join(d, 'b/pc7.E01')].map((path) => ({path, explicit: true})))
    expect(items.map((i) => i.name)).toEqual(['pc7.E01', 'pc7.E01~2', 'pc7.raw'])
    expect(new Set(items.map((i) => i.source)).size).toBe(3)
  })

  it('refuses a literal path that does not exist rather than silently running a smaller batch', async () => {
    await expect(resolveItems([join(dir, 'pc9.E01')])).rejects.toThrow(/does not exist/)
  })
})

describe('shards', () => {
  const items = Array.from({length: 11}, (_, i) => `item${String(i).padStart(2, '0')}`)

  it('round-robin: item i to shard (i mod N) + 1; the shards partition the list', () => {
    expect(selectShard(items, parseShard('1/3'))).toEqual(['item00', 'item03', 'item06', 'item09'])
    expect(selectShard(items, parseShard('2/3'))).toEqual(['item01', 'item04', 'item07', 'item10'])
    expect(selectShard(items, parseShard('3/3'))).toEqual(['item02', 'item05', 'item08'])
    for (const n of [1, 2, 4, 7, 11, 15]) {
      const all = Array.from({length: n}, (_, k) => selectShard(items, {index: k + 1, count: n})).flat().sort()
      expect(all).toEqual(items)
    }
  })

  it('rejects malformed shards', () => {
    for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '-1/2']) expect(() => parseShard(bad)).toThrow(/--shard/)
    expect(parseShard(' 2 / 8 ')).toEqual({index: 2, count: 8})
  })
})
