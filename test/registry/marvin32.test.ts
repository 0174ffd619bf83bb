import {describe, expect, it} from 'vitest'
import {marvin32} from '../../src/registry/marvin32.js'

// Published Marvin32 vectors (dotnet/runtime MarvinTests.cs, seed 0x004FB61A001BDBCC)
const SEED = 0x004fb61a001bdbccn
const VECTORS: Array<[string, bigint]> = [
  ['', 0x30ed35c100cd3c7dn],
  ['af', 0x48e73fc77d75ddc1n],
  ['e70f', 0xb5f6e1fc485dbff8n],
  ['37f495', 0xf0b07c789b8cf7e8n],
  ['8642dc59', 0x7008f2e87e9cf556n],
  ['153fb79826', 0xe6c08c6da2afa997n],
  ['0932e6246c47', 0x6f04bf1a5ea24060n],
  ['ab427ea8d10fc7', 0xe11847e4f0678c41n],
]

describe('Marvin32 (registry log entry hash)', () => {
  for (const [hex, expected] of VECTORS) {
    it(`hashes "${hex}" to ${expected.toString(16)}`, () => {
      expect(marvin32(Buffer.from(hex, 'hex'), SEED)).toBe(expected)
    })
  }
})
