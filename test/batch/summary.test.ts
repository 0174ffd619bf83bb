import {describe, expect, it} from 'vitest'
import {csvField} from '../../src/batch/summary.js'
import {defaultJobs} from '../../src/batch/batch.js'
import {parseCsv} from './fixtures.js'

describe('summary.csv fields and the default --jobs', () => {
  it('quotes per RFC 4180 only what needs it, and the quoting reads back', () => {
    const values = ['pc1', '/evidence/Smith, J/pc1.E01', 'label "C:"', 'two\r\nlines', '', '12']
    expect(values.map(csvField)).toEqual(['pc1', '"/evidence/Smith, J/pc1.E01"', '"label ""C:"""', '"two\r\nlines"', '', '12'])
    expect(parseCsv(`${values.map(csvField).join(',')}\r\n`)).toEqual([values])
  })

  it('runs one item per core, at most four', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultJobs(cores))).toEqual([1, 2, 3, 4, 4, 4])
    expect(defaultJobs(0)).toBe(1)
  })
})
