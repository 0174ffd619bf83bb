import {afterEach, describe, expect, it} from 'vitest'
import {pictureThreadsPerItem} from '../../src/batch/batch.js'

describe('batch: picture threads shared out among the items run at once', () => {
  const saved = process.env.TRAWL_PICTURE_THREADS
  afterEach(() => {
    if (saved === undefined) delete process.env.TRAWL_PICTURE_THREADS
    else process.env.TRAWL_PICTURE_THREADS = saved
  })

  it('gives each item its share of the cores, at least one, and keeps the examiner\'s setting', () => {
    delete process.env.TRAWL_PICTURE_THREADS
    expect(pictureThreadsPerItem(1, 8)).toBe('8')
    expect(pictureThreadsPerItem(4, 8)).toBe('2')
    expect(pictureThreadsPerItem(4, 2)).toBe('1')
    expect(pictureThreadsPerItem(3, 8)).toBe('2')
    process.env.TRAWL_PICTURE_THREADS = '0'
    expect(pictureThreadsPerItem(4, 8)).toBe('0')
  })
})
