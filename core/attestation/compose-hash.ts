/**
 * The compose hash dstack measures into RTMR3: SHA-256 of the app compose manifest
 * (`app-compose.json`: the docker compose file and the deployment's settings) as deterministic
 * JSON — keys sorted, no whitespace — which is canonical JSON for any parsed JSON value.
 */
import { canonicalJson } from '../canonical-json'
import { sha256, toHex, utf8 } from './bytes'

export async function composeHashOf(appComposeJson: string): Promise<string> {
  let manifest: unknown
  try {
    manifest = JSON.parse(appComposeJson)
  } catch {
    throw new Error(
      'the compose file must be the app compose manifest (app-compose.json), which is JSON',
    )
  }
  return toHex(await sha256(utf8(canonicalJson(manifest))))
}
