import { randomBytes } from 'node:crypto';
import { keyId, NodeCertificateVerifier, nodeVerify } from '@insights/policy';
import { InsightsError } from '@insights/sdk';
import type { WireProveResponse } from '@insights/wire';

/** What is proven: the node's id and, when the registry named it, the key its certificate holds. */
export interface ExpectedNode {
  readonly id?: string | undefined;
  /** Public key (PEM) from the node's verified advertisement; absent for direct addresses. */
  readonly key?: string | undefined;
}

/**
 * The client's check that a node holds the key the mesh certified for it, before anything is
 * sent to it: it signs a fresh nonce. A node known from the registry must sign with the key of
 * its (already verified) advertisement; a node given by address shows its certificate, which
 * must be the mesh's for the id it claims.
 */
export class NodeProofs {
  readonly #certificates: NodeCertificateVerifier;

  constructor(meshPublicKeysPem: readonly string[], meshId?: string) {
    this.#certificates = new NodeCertificateVerifier(meshPublicKeysPem, meshId);
  }

  /** Asks `prove` with a fresh nonce and checks the answer; throws UNAVAILABLE naming what failed. */
  async check(address: string, expected: ExpectedNode, prove: (nonce: Uint8Array) => Promise<WireProveResponse>): Promise<void> {
    const nonce = randomBytes(32);
    const fail = (why: string, cause?: unknown) =>
      new InsightsError('UNAVAILABLE', `node at ${address} did not prove its identity: ${why}; nothing was sent to it`, {
        ...(cause === undefined ? {} : { cause }),
      });
    let answer: WireProveResponse;
    try {
      answer = await prove(nonce);
    } catch (e) {
      throw fail((e as Error).message, e);
    }
    if (expected.id !== undefined && answer.nodeId !== expected.id)
      throw fail(`it says it is ${answer.nodeId}, not ${expected.id}`);
    let key = expected.key;
    if (key === undefined)
      try {
        key = this.#certificates.verify(answer.certificate, answer.nodeId).key;
      } catch (e) {
        throw fail((e as Error).message, e);
      }
    if (!nodeVerify(key, 'challenge', answer.nodeId, nonce, answer.signature))
      throw fail(`the signature is not by key ${keyId(key)} of node ${answer.nodeId}`);
  }
}
