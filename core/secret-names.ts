/**
 * Names of owner secrets, in one place: the name pattern, the `{NAME}` placeholders of an auth
 * value, the `COOKIES_<DOMAIN>` name of an uploaded cookie jar, and the well-known names pinned
 * to their service's origin.
 */

/** Secret names: UPPER_SNAKE, 64 characters at most (IN-08). */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/

const PLACEHOLDER = /\{([^{}]*)\}/g

export function isSecretName(value: unknown): value is string {
  return typeof value === 'string' && SECRET_NAME.test(value)
}

/** The `{NAME}` placeholders of a template, in order, and the text without them. */
export function placeholdersIn(template: string): { names: string[]; rest: string } {
  return {
    names: [...template.matchAll(PLACEHOLDER)].map(([, name]) => name),
    rest: template.replace(PLACEHOLDER, ''),
  }
}

/** Replace every `{NAME}` of a template by `valueOf(NAME)`. */
export function fillPlaceholders(template: string, valueOf: (name: string) => string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => valueOf(name))
}

/** The secret an uploaded cookie jar is stored as: `tiktok.com` → `COOKIES_TIKTOK_COM`. */
export function cookieSecretName(domain: string): string {
  return `COOKIES_${domain.toUpperCase().replace(/[.-]/g, '_')}`
}

/** May the cookie jar `secret` be sent to `hostname`? Only to its domain and subdomains. */
export function isCookieSecretFor(secret: string, hostname: string): boolean {
  const labels = hostname.toLowerCase().split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    if (cookieSecretName(labels.slice(i).join('.')) === secret) return true
  }
  return false
}

/**
 * Secrets whose names say where they belong. A permit that would send one of these to any other
 * origin is refused when it is requested (GW-13); other secrets are bound to an origin by the
 * owner (POST /secrets `origin`) or at the first approval that uses them.
 */
export const KNOWN_SECRET_ORIGINS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  GH_TOKEN: ['https://api.github.com'],
  GITHUB_TOKEN: ['https://api.github.com'],
  OPENAI_API_KEY: ['https://api.openai.com'],
  ANTHROPIC_API_KEY: ['https://api.anthropic.com'],
  GITLAB_TOKEN: ['https://gitlab.com'],
  SLACK_TOKEN: ['https://slack.com'],
  STRIPE_SECRET_KEY: ['https://api.stripe.com'],
})
