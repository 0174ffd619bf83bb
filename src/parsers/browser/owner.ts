import type {ParserInput} from '../types.js'

/** Whose browsing a record is: the browser (definition attribute), profile and user (path captures). */
export interface BrowserOwner {
  browser: string | null
  profile: string | null
  user: string | null
}

/**
 * The browser comes from the definition's attributes, the profile and user from
 * its path captures. A definition for a profile-less layout (Opera keeps its only
 * profile directly in 'Opera Stable') may name the profile as an attribute.
 */
export function browserOwner(input: ParserInput): BrowserOwner {
  return {
    browser: input.attributes.browser ?? null,
    profile: input.captures.profile ?? input.attributes.profile ?? null,
    user: input.captures.user ?? input.attributes.user ?? null,
  }
}
