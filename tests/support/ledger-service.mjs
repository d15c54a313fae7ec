// The credit-meter-ledger service as the Node tests and the example plugin's scenario run
// it: the binary on a free loopback port with a fresh SQLite file, an HS256 device-token
// secret (the vendor's sign-in, played by the test) and an admin token; device calls carry
// a token for the body's account, pinned to its device id.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** An HS256 JWT of `claims` signed with `secret`. */
export function jwt(secret, claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** The service binary the Node tests use: CREDIT_METER_LEDGER_BIN, else the debug build
 * under `root` (scripts/test.sh builds it). */
export function serviceBinary(root) {
  const bin = process.env.CREDIT_METER_LEDGER_BIN || join(root, "target", "debug", "credit-meter-ledger");
  assert.ok(existsSync(bin), `the service binary ${bin} is missing: build it (cargo build -p credit-meter-ledger-service) or set CREDIT_METER_LEDGER_BIN`);
  return bin;
}

/** Starts `bin serve`; resolves once it listens. `env`: extra environment (e.g. RUST_LOG). */
export async function startLedgerService(bin, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "credit-meter-ledger-"));
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(join(dir, "jwt.secret"), secret);
  const adminToken = randomBytes(24).toString("base64url");
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--database", `sqlite:${join(dir, "ledger.sqlite")}`,
    "--jwt-hs256-secret-file", join(dir, "jwt.secret")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env, CREDIT_METER_ADMIN_TOKEN: adminToken },
  });
  const exited = once(child, "exit");
  const line = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.on("exit", (code) => reject(new Error(`${bin} exited with ${code} before listening`)));
  });
  const base = line.match(/listening on (http:\/\/\S+?)\/?(?: |$)/)?.[1];
  assert.ok(base, `no URL in ${JSON.stringify(line)}`);
  const call = async (method, path, body, token) =>
    (await fetch(base + path, { method, body, headers: token ? { authorization: `Bearer ${token}` } : {} })).text();
  /** The device's token: `sub` its account, pinned to its device id, 10 minutes. */
  const device = (body) => {
    const { accountId, deviceId } = JSON.parse(body);
    return jwt(secret, { sub: accountId, device: deviceId, exp: Math.floor(Date.now() / 1000) + 600 });
  };
  return {
    base,
    /** A push; `token`: the caller's own bearer token (default: one minted for the body's
     * account and device, as the vendor's sign-in would have issued it). */
    push: (body, token = device(body)) => call("POST", "/v1/push", body, token),
    /** A pull; `token` as for push. */
    pull: (body, token = device(body)) => call("POST", "/v1/pull", body, token),
    /** The token the vendor's sign-in issues to `deviceId` of `accountId` (10 minutes). */
    deviceToken: (accountId, deviceId) => device(JSON.stringify({ accountId, deviceId })),
    keys: () => call("GET", "/v1/keys"),
    /** An admin command; the answer's text. */
    admin: (cmd) => call("POST", "/v1/admin", JSON.stringify(cmd), adminToken),
    /** An admin command that must succeed; its result. */
    adminOk: async (cmd) => {
      const out = JSON.parse(await call("POST", "/v1/admin", JSON.stringify(cmd), adminToken));
      assert.equal(out.ok, true, `${JSON.stringify(cmd)}: ${JSON.stringify(out)}`);
      return out.result;
    },
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
