/**
 * The CLI's TLS options through a real TLS handshake: `--ca-file` to trust a private CA,
 * `--cert-file`/`--key-file` for a server that requires client certificates (mutual TLS).
 * The server here is a small gRPC endpoint (connect-node over node:http2) answering
 * ListFlows, with certificates made by openssl for the test; what is under test is the
 * client side.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { runFlowgate } from "../../support/cli.ts";

const openssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    console.warn("tls.test.ts: openssl is not installed; the TLS tests skip");
    return false;
  }
})();

let dir: string;
const file = (name: string) => path.join(dir, name);

/** A CA, and a server and a client certificate it signed (EC P-256, valid a day). */
function makeCertificates(): void {
  // Command lines as text, split on spaces: none of the arguments contains one.
  const run = (command: string) =>
    execFileSync("openssl", command.split(" "), { cwd: dir, stdio: "pipe" });
  const newKey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  run(`req -x509 ${newKey} -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca`);
  for (const name of ["server", "client"]) {
    run(`req ${newKey} -keyout ${name}.key -out ${name}.csr -subj /CN=${name}`);
    writeFileSync(file(`${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run(
      `x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ${name}.pem -days 1 -extfile ${name}.ext`,
    );
  }
}

/** A TLS gRPC server with one flow; `requireClientCert` makes it mutual TLS. */
async function startTlsServer(requireClientCert: boolean) {
  const server = http2.createSecureServer(
    {
      key: readFileSync(file("server.key")),
      cert: readFileSync(file("server.pem")),
      ca: readFileSync(file("ca.pem")),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
    },
    connectNodeAdapter({
      routes: (router) =>
        router.service(FlowService, {
          listFlows: () => ({ flows: [{ id: "f-1", name: "over-tls" }] }),
        }),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { address, stop: () => new Promise((resolve) => server.close(resolve)) };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "flowgate-tls-"));
  if (openssl) makeCertificates();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!openssl)("TLS", () => {
  it("--ca-file trusts a private CA; without it the handshake fails", async () => {
    const server = await startTlsServer(false);
    try {
      const trusted = await runFlowgate([
        "--address",
        server.address,
        "--ca-file",
        file("ca.pem"),
        "flows",
        "list",
      ]);
      expect(trusted).toMatchObject({ code: 0 });
      expect(trusted.stdout).toMatch(/f-1\s+over-tls/);

      const untrusted = await runFlowgate(["--address", server.address, "--tls", "flows", "list"]);
      expect(untrusted.code).toBe(1);
      // connect-node reports a failed certificate check as INTERNAL.
      expect(untrusted.stderr).toBe(
        "flowgate: INTERNAL self-signed certificate in certificate chain\n",
      );

      const plaintext = await runFlowgate(["--address", server.address, "flows", "list"]);
      expect(plaintext.code).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it("--cert-file and --key-file answer a server that requires a client certificate", async () => {
    const server = await startTlsServer(true);
    try {
      const tls = ["--address", server.address, "--ca-file", file("ca.pem")];
      const withCert = await runFlowgate([
        ...tls,
        "--cert-file",
        file("client.pem"),
        "--key-file",
        file("client.key"),
        "flows",
        "list",
      ]);
      expect(withCert).toMatchObject({ code: 0 });
      expect(withCert.stdout).toContain("over-tls");

      expect((await runFlowgate([...tls, "flows", "list"])).code).toBe(1);
      const half = await runFlowgate([...tls, "--cert-file", file("client.pem"), "flows", "list"]);
      expect(half).toMatchObject({
        code: 2,
        stderr: "flowgate: --cert-file and --key-file go together\n",
      });
    } finally {
      await server.stop();
    }
  });
});
