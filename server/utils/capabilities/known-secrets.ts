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
