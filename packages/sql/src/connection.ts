/** Where a source lives and who the node connects as. The password never reaches module code. */
export interface SqlConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Connections the node keeps to this source at most. */
  readonly poolSize: number;
}
