import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, it} from 'vitest'
import {REPO_ROOT} from './shared.js'

/**
 * The field kit's Node (scripts/node-runtime.mjs: from the npm registry's runtime packages,
 * cached outside the repository), or why it cannot be had here.
 */
export function kitNode(): {node: string} | {missing: string} {
  try {
    const node = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/node-runtime.mjs')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()
    return {node}
  } catch (error) {
    const stderr = String((error as {stderr?: unknown}).stderr ?? '').trim()
    return {missing: stderr || String(error)}
  }
}

/** CI (CI or TRAWL_REQUIRE_SHARED=1) must run what needs the kit's Node: a missing runtime fails there. */
export const kitNodeRequired = process.env.TRAWL_REQUIRE_SHARED === '1' || Boolean(process.env.CI)

/**
 * A describe block that needs the kit's Node: skipped with the reason when it cannot be
 * obtained on a developer's machine, failing in CI.
 */
export function describeKitNode(name: string, body: (node: string) => void): void {
  const runtime = kitNode()
  if ('node' in runtime) {
    describe(name, () => body(runtime.node))
  } else if (kitNodeRequired) {
    describe(name, () => {
      it('needs the field kit Node runtime', () => {
        throw new Error(`the kit's Node runtime cannot be obtained: ${runtime.missing}`)
      })
    })
  } else {
    describe.skip(`${name} (skipped: the kit's Node runtime cannot be obtained: ${runtime.missing})`, () => body(''))
  }
}
