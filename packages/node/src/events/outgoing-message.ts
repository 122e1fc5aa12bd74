/** A message on its way to JetStream: where it goes, its bytes, and its de-duplication id (`Nats-Msg-Id`). */
export interface OutgoingMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgId: string;
  /** Events it holds: 1 unless it is a page (event-page.ts). */
  readonly events?: number;
}
