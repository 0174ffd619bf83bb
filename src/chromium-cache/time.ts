/**
 * base::Time values as the caches store them (int64 microseconds since 1601-01-01 UTC). A
 * damaged value can be beyond what a date holds: it becomes null and, when a list is given,
 * a problem naming the field and the raw value, never an exception.
 */
import {webkitToIso} from '../time.js'

export function cacheTime(value: bigint, what: string, problems?: string[]): string | null {
  try {
    return webkitToIso(value)
  } catch {
    problems?.push(`${what} ${value} is not a time a date can hold (damaged)`)
    return null
  }
}
