/**
 * A local stand-in for a PCCS, serving collateral fixtures at Intel's PCS v4 paths the way PCCS
 * answers: TCB info and QE identity as `{ "tcbInfo" | "enclaveIdentity": …, "signature": … }`
 * with their issuer chains URL-encoded in headers, the PCK CRL as DER, the root CA CRL as hex.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Collateral } from '../../core/attestation/collateral'

export async function startPccsStandin(collateral: Collateral) {
  const requests: string[] = []
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://pccs')
    requests.push(`${url.pathname}${url.search}`)
    const send = (body: string | Buffer, headers: Record<string, string> = {}) => {
      response.writeHead(200, headers)
      response.end(body)
    }
    switch (url.pathname) {
      case '/tdx/certification/v4/tcb':
        return send(
          `{"tcbInfo":${collateral.tcb_info},"signature":"${collateral.tcb_info_signature}"}`,
          {
            'content-type': 'application/json',
            'TCB-Info-Issuer-Chain': encodeURIComponent(collateral.tcb_info_issuer_chain),
          },
        )
      case '/tdx/certification/v4/qe/identity':
        return send(
          `{"enclaveIdentity":${collateral.qe_identity},"signature":"${collateral.qe_identity_signature}"}`,
          {
            'content-type': 'application/json',
            'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(
              collateral.qe_identity_issuer_chain,
            ),
          },
        )
      case '/sgx/certification/v4/pckcrl':
        return send(Buffer.from(collateral.pck_crl, 'hex'), {
          'content-type': 'application/pkix-crl',
          'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(collateral.pck_crl_issuer_chain),
        })
      case '/sgx/certification/v4/rootcacrl':
        return send(collateral.root_ca_crl, { 'content-type': 'text/plain' })
      default:
        response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
