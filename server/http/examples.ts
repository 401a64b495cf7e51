/**
 * Examples for OpenAPI, taken from one run of the README's Quick Start (ids and tokens shortened):
 * sign up, ask for a permit, the owner approves, run code with `Prefer: wait`, read the status.
 * The test suite validates each against its schema, so they cannot go stale.
 */
const STATUS_URL =
  'https://oauth3.example.com/execute/exec_81a232d3565f212cc8408bd4/status?token=oa3_status_1nKf…'

export const EXAMPLES: Record<string, { request?: unknown; responses?: Record<number, unknown> }> =
  {
    postSignup: {
      request: { role: 'agent', name: 'my-agent' },
      responses: {
        201: {
          tenant_id: 'agent_5b3c0e1f9a7d4c21',
          role: 'agent',
          token: 'oa3_agent_Qm9vZ…',
          jwt: 'oa3_agent_Qm9vZ…',
          api_key: 'oa3_agent_Qm9vZ…',
          tee_url: 'https://oauth3.example.com',
          message: 'Save this token: it is shown once. Next: POST /permit.',
        },
      },
    },
    postPermit: {
      request: {
        description: 'File issues on GitHub',
        capabilities: [
          {
            name: 'github.createIssue',
            endpoint: 'https://api.github.com/repos/{owner}/{repo}/issues',
            method: 'POST',
            auth: { header: 'Authorization', value: 'token {GH_TOKEN}' },
            params: { owner: { in: 'path' }, repo: { in: 'path' }, title: { in: 'body' } },
          },
        ],
      },
      responses: {
        202: {
          request_id: 'preq_7d1e9c0b2a4f4e55',
          status: 'pending_permit',
          permit_id: 'permit_3f8a2b6c1d0e4a77',
          approval_url: 'https://oauth3.example.com/approve/preq_7d1e9c0b2a4f4e55?token=oa3_appr_…',
          status_url:
            'https://oauth3.example.com/execute/preq_7d1e9c0b2a4f4e55/status?token=oa3_status_…',
          capabilities: [
            {
              name: 'github.createIssue',
              signature: 'async function createIssue(owner, repo, title)',
            },
          ],
          manifest_sha256: '9b1c6f0e5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c',
          message: 'Permit request awaiting approval — poll status_url',
        },
      },
    },
    postApproveById: {
      request: {
        action: 'approve',
        token: 'oa3_appr_…',
        manifest_sha256: '9b1c6f0e5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c',
        secrets: { GH_TOKEN: 'ghp_…' },
      },
      responses: {
        200: {
          id: 'preq_7d1e9c0b2a4f4e55',
          status: 'completed',
          permit_id: 'permit_3f8a2b6c1d0e4a77',
        },
      },
    },
    postExecute: {
      request: {
        permit_id: 'permit_3f8a2b6c1d0e4a77',
        skill_id: 'hello',
        skill_code: "console.log('hi'); return 6 * 7",
      },
      responses: {
        202: {
          request_id: 'exec_81a232d3565f212cc8408bd4',
          status: 'approved',
          permit_id: 'permit_3f8a2b6c1d0e4a77',
          status_url: STATUS_URL,
        },
        200: {
          request_id: 'exec_81a232d3565f212cc8408bd4',
          status: 'completed',
          permit_id: 'permit_3f8a2b6c1d0e4a77',
          created_at: 1796482001000,
          started_at: 1796482001002,
          finished_at: 1796482001011,
          code: 'ad-hoc',
          code_sha256: 'c07b2f9fe85435ebb9560963e9b9dbb8a408e56938900422da4bd8d2f6df65e0',
          label: 'hello',
          result: {
            success: true,
            stdout: 'hi\n',
            stderr: '',
            exitCode: 0,
            duration: 9,
            value: 42,
            calls: [],
          },
          status_url: STATUS_URL,
        },
      },
    },
  }
