/**
 * What a verification proved, link by link from Intel's root to the code that runs, and a one-line
 * summary naming the weakest link. Each link says `holds`, `fails` or `unchecked` — and a link
 * that holds says only what its checks proved (a PCK chain whose revocation was not looked up is
 * "revocation unchecked", an OS image nobody pinned is "unpinned").
 */
import type { Check } from './chain'
import type { QuoteSummary } from './verify-quote'

export type LinkState = 'holds' | 'fails' | 'unchecked'

export interface Link {
  link: string
  state: LinkState
  detail: string
  /** The failed check's code, when the link fails. */
  code?: string
}

export interface Verdict {
  chain: Link[]
  summary: string
}

/** Extra links the attestation of a live server adds after the compose hash. */
export interface ServerFacts {
  /** The image named by the compose file whose hash RTMR3 holds: stated there, not measured. */
  image?: string
  /** The build digest the server reports, and whether it was compared with a local build. */
  buildDigest?: string
}

export function verdictOf(
  checks: Check[],
  quote: QuoteSummary | undefined,
  server?: ServerFacts,
): Verdict {
  const byName = new Map(checks.map((check) => [check.name, check]))
  const failed = (...names: string[]) =>
    names.map((name) => byName.get(name)).find((check) => check && !check.ok)
  const done = (name: string) => {
    const check = byName.get(name)
    return Boolean(check?.ok && !check.skipped)
  }
  const failure = (check: Check) => `${check.code}: ${check.reason}`
  const chain: Link[] = []
  const add = (link: string, state: LinkState, detail: string, code?: string) =>
    chain.push({ link, state, detail, ...(code ? { code } : {}) })

  const rootFail = failed('quote-format', 'pck-chain', 'root-ca')
  add(
    'Intel root',
    rootFail ? 'fails' : 'holds',
    rootFail ? failure(rootFail) : 'the Intel SGX Root CA, known by its SHA-256',
    rootFail?.code,
  )

  const pckFail =
    rootFail ??
    failed(
      'certificate-validity',
      'collateral',
      'collateral-signatures',
      'collateral-validity',
      'revocation',
    )
  add(
    'PCK',
    pckFail ? 'fails' : 'holds',
    pckFail
      ? failure(pckFail)
      : done('revocation')
        ? 'platform certificate signed by Intel, not revoked'
        : 'platform certificate signed by Intel; revocation unchecked (no collateral)',
    pckFail?.code,
  )

  const qeFail = pckFail ?? failed('qe-report-signature', 'attestation-key-binding', 'qe-identity')
  add(
    'QE',
    qeFail ? 'fails' : 'holds',
    qeFail
      ? failure(qeFail)
      : done('qe-identity')
        ? "Quoting Enclave signed by the PCK key, identity matches Intel's"
        : 'Quoting Enclave signed by the PCK key; identity unchecked (no collateral)',
    qeFail?.code,
  )

  const genuineFail = qeFail ?? failed('quote-signature', 'td-not-debug')
  // A genuine quote that does not bind the expected key and nonce proves nothing about this server.
  const bindFail = failed('tee', 'report-data')
  const quoteFail = genuineFail ?? bindFail
  const tcbCheck = byName.get('tcb-status')
  const tcb = quote?.tcb
  const tcbWords = tcb
    ? `TCB ${tcb.status} as of ${tcb.issueDate.slice(0, 10)}${tcb.advisoryIds.length ? ` (${tcb.advisoryIds.join(', ')})` : ''}`
    : 'TCB unchecked (no collateral)'
  if (quoteFail) add('TD quote', 'fails', failure(quoteFail), quoteFail.code)
  else if (tcbCheck && !tcbCheck.ok)
    add('TD quote', 'fails', `signed; ${failure(tcbCheck)}`, tcbCheck.code)
  else
    add(
      'TD quote',
      tcb ? 'holds' : 'unchecked',
      `signed by the attested key, not debuggable; ${tcbWords}`,
    )

  const osCheck = byName.get('os-image')
  const os = quote?.osImage
  if (osCheck && !osCheck.ok) add('OS image', 'fails', failure(osCheck), osCheck.code)
  else if (os)
    add(
      'OS image',
      'holds',
      `${os.hash} gives MRTD and RTMR0–2${os.imageName ? ` (the VM config names it ${os.imageName})` : ''}; ${os.pinned ? 'pinned' : 'unpinned (no --os-image-hash: nothing says it is an image you trust)'}`,
    )
  else add('OS image', 'unchecked', osCheck?.reason ?? 'unchecked')

  const replay = byName.get('rtmr-replay')
  if (replay && !replay.ok) add('RTMR3', 'fails', failure(replay), replay.code)
  else if (done('rtmr-replay')) add('RTMR3', 'holds', 'the event log replays to RTMR0–3')
  else add('RTMR3', 'unchecked', 'no event log given')

  const compose = byName.get('compose-hash')
  if (compose && !compose.ok) add('compose hash', 'fails', failure(compose), compose.code)
  else if (done('compose-hash')) add('compose hash', 'holds', `${quote?.composeHash} matches`)
  else
    add(
      'compose hash',
      'unchecked',
      quote?.composeHash ? `${quote.composeHash} (not given: not compared)` : 'not given',
    )

  if (server) {
    add(
      'image',
      server.image ? 'holds' : 'unchecked',
      server.image
        ? `${server.image}, as stated in the compose file (not itself measured: rebuild it to compare)`
        : 'no compose file given',
    )
    const build = byName.get('build_digest')
    if (build && !build.ok) add('build digest', 'fails', failure(build), build.code)
    else if (build)
      add(
        'build digest',
        'holds',
        `${server.buildDigest} reported by the attested server, equal to the local build`,
      )
    else
      add(
        'build digest',
        'unchecked',
        server.buildDigest
          ? `${server.buildDigest} reported (no --build-digest to compare)`
          : 'none reported',
      )
  }
  const tcbSaid = tcb
    ? `TCB ${tcb.status}`
    : tcbCheck && !tcbCheck.ok
      ? `TCB ${tcbCheck.code === 'tcb_level_unmatched' ? 'unmatched' : 'not established'}`
      : 'TCB unchecked'
  return {
    chain,
    summary: summaryOf(
      chain,
      genuineFail
        ? 'NOT a genuine TDX quote'
        : bindFail
          ? `genuine TDX quote NOT bound to the expected key and nonce, ${tcbSaid}`
          : `genuine TDX, ${tcbSaid}`,
      Boolean(os?.pinned),
    ),
  }
}

/** `quote` says what the quote itself came to; the rest is read from the links. */
function summaryOf(chain: Link[], quote: string, pinned: boolean): string {
  const state = (name: string) => chain.find((link) => link.link === name)!
  const broken = chain.find((link) => link.state === 'fails')
  const parts = [quote]
  const os = state('OS image')
  parts.push(
    os.state === 'fails'
      ? 'OS image fails'
      : os.state === 'holds'
        ? pinned
          ? 'OS image pinned'
          : 'OS image unpinned'
        : 'OS image unchecked',
  )
  const compose = state('compose hash')
  parts.push(
    compose.state === 'holds'
      ? 'compose hash matches'
      : compose.state === 'fails'
        ? 'compose hash differs'
        : 'compose hash not compared',
  )
  const summary = parts.join('; ')
  return broken ? `${summary} — weakest link: ${broken.link} (${broken.code})` : summary
}
