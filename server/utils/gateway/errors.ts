/**
 * The one error a capability call raises toward the guest. Its message is what guest code sees
 * (after redaction): fixed text chosen here, never a host path, stack or echoed value.
 */
export class CapabilityCallError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CapabilityCallError'
  }
}
