// The vendor's ledger over Obsidian's requestUrl (no CORS limits, works on mobile), by the
// fixed HTTP contract: POST /v1/push, POST /v1/pull, GET /v1/keys. Bodies are the
// protocol's JSON text (docs/PROTOCOL.md §5); the meter reads the answer's body whatever
// the HTTP status, and retries failures itself. Push and pull carry the device token
// (`Authorization: Bearer`, from the vendor's sign-in, kept in Obsidian's secret storage):
// the credit-meter-ledger service refuses device calls without one (401 UNAUTHORIZED, a
// protocol error body the meter reports and retries).
import { requestUrl } from "obsidian";

/** The ledger's HTTP endpoints. */
export class LedgerClient {
  /** `token()`: the device token at the time of the call ("" when none is set). */
  constructor(
    private readonly baseUrl: () => string,
    private readonly token: () => string = () => "",
  ) {}

  /** `host.push`: sends a push request body, resolves with the response body. */
  push(body: string): Promise<string> {
    return this.post("/v1/push", body);
  }

  /** `host.pull`: sends a pull request body, resolves with the response body. */
  pull(body: string): Promise<string> {
    return this.post("/v1/pull", body);
  }

  /** The ledger's public keys `{kid: base64url}`: what the meter trusts snapshots from.
   * Kept in memory only, never in data.json (which the user can edit). A plugin can pin
   * them in its code instead. */
  async keys(): Promise<Record<string, string>> {
    const res = await requestUrl({ url: this.url("/v1/keys"), method: "GET" });
    const keys: unknown = res.json;
    if (!keys || typeof keys !== "object" || Object.values(keys).some((k) => typeof k !== "string")) {
      throw new Error("the ledger's /v1/keys answer is not {kid: key}");
    }
    return keys as Record<string, string>;
  }

  private async post(path: string, body: string): Promise<string> {
    const token = this.token();
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const res = await requestUrl({ url: this.url(path), method: "POST", contentType: "application/json", headers, body, throw: false });
    return res.text;
  }

  private url(path: string): string {
    return this.baseUrl().replace(/\/+$/, "") + path;
  }
}
