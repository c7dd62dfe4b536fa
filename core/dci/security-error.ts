// A DCI message that fails a signature or encryption check; `code` is the spec's Error code for the ACK.
export type DciSecurityCode = 'err.signature.missing' | 'err.signature.invalid' | 'err.encryption.invalid';

export class DciSecurityError extends Error {
  constructor(readonly code: DciSecurityCode, message: string) {
    super(message);
    this.name = 'DciSecurityError';
  }
}
