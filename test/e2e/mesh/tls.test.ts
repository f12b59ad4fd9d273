/**
 * TLS on the gRPC port with certificates made in the test (the openssl CLI): a client that
 * trusts the CA is served and a plaintext one is not; with FLOWGATE_TLS_CLIENT_CA_FILE a
 * client without a certificate signed by that CA is refused; a certificate rotated on disk
 * (as cert-manager does) is served to new connections without a restart, and a rotation that
 * leaves a key that does not match keeps the last good certificate in service.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "node:tls";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import { startTestServer, type TestServer } from "../../support/server.ts";

const dir = mkdtempSync(path.join(tmpdir(), "flowgate-tls-"));
const file = (name: string) => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: "ignore" });
}

/** A CA (`ca.crt`, `ca.key`). */
function makeCa(): void {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=flowgate test CA",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.crt"),
  );
}

/** A certificate the CA signs, `name.crt` / `name.key`, for 127.0.0.1. */
function makeCertificate(name: string, commonName: string): string {
  writeFileSync(file(`${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${commonName}`,
    "-keyout",
    file(`${name}.key`),
    "-out",
    file(`${name}.csr`),
  );
  openssl(
    "x509",
    "-req",
    "-in",
    file(`${name}.csr`),
    "-CA",
    file("ca.crt"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    file(`${name}.ext`),
    "-out",
    file(`${name}.crt`),
  );
  return readFileSync(file(`${name}.crt`), "utf8");
}

function flows(server: TestServer, tls: { cert?: string; key?: string } = {}) {
  return createClient(
    FlowService,
    createGrpcTransport({
      baseUrl: `https://127.0.0.1:${server.app.port}`,
      nodeOptions: { ca: readFileSync(file("ca.crt")), ...tls },
    }),
  );
}

/** The common name of the certificate a new TLS connection to `port` is served. */
function servedCommonName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port, ca: readFileSync(file("ca.crt")), ALPNProtocols: ["h2"] },
      () => {
        const subject = socket.getPeerCertificate().subject;
        socket.end();
        resolve(String(subject?.CN));
      },
    );
    socket.once("error", reject);
  });
}

beforeAll(() => {
  makeCa();
  makeCertificate("server", "first");
  makeCertificate("client", "worker");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TLS", () => {
  let server: TestServer;
  beforeAll(async () => {
    copyFileSync(file("server.crt"), file("tls.crt"));
    copyFileSync(file("server.key"), file("tls.key"));
    server = await startTestServer({
      FLOWGATE_BACKGROUND_SERVICES: "false",
      FLOWGATE_TLS_CERT_FILE: file("tls.crt"),
      FLOWGATE_TLS_KEY_FILE: file("tls.key"),
      FLOWGATE_TLS_RELOAD_SECONDS: "1",
    });
  });
  afterAll(() => server.stop());

  it("serves a client that trusts the CA, and not a plaintext one", async () => {
    expect((await flows(server).createFlow({ name: "over-tls" })).flow?.name).toBe("over-tls");
    const plaintext = createClient(
      FlowService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.app.port}` }),
    );
    const refused = await plaintext
      .createFlow({ name: "plain" })
      .catch((e) => ConnectError.from(e));
    expect(refused).toBeInstanceOf(ConnectError);
    // The plaintext HTTP/2 preface is no TLS handshake: the connection is dropped.
    expect((refused as ConnectError).rawMessage).toMatch(/stream closed|ECONNRESET|socket/i);
  });

  it("serves a rotated certificate to new connections, and keeps the last good one when a rotation does not load", async () => {
    expect(await servedCommonName(server.app.port)).toBe("first");
    makeCertificate("rotated", "second");
    copyFileSync(file("rotated.key"), file("tls.key"));
    copyFileSync(file("rotated.crt"), file("tls.crt"));
    let served = await servedCommonName(server.app.port);
    for (let attempt = 0; attempt < 100 && served !== "second"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      served = await servedCommonName(server.app.port);
    }
    expect(served).toBe("second");
    expect((await flows(server).createFlow({ name: "after-rotation" })).flow).toBeDefined();

    // A half-done rotation: a new certificate next to the old key.
    makeCertificate("broken", "third");
    copyFileSync(file("broken.crt"), file("tls.crt"));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await servedCommonName(server.app.port)).toBe("second");
    expect((await flows(server).createFlow({ name: "still-serving" })).flow).toBeDefined();
  });
});

describe("mutual TLS (FLOWGATE_TLS_CLIENT_CA_FILE)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      FLOWGATE_BACKGROUND_SERVICES: "false",
      FLOWGATE_TLS_CERT_FILE: file("server.crt"),
      FLOWGATE_TLS_KEY_FILE: file("server.key"),
      FLOWGATE_TLS_CLIENT_CA_FILE: file("ca.crt"),
    });
  });
  afterAll(() => server.stop());

  it("serves a client with a certificate the CA signed, and refuses one without", async () => {
    const withCertificate = flows(server, {
      cert: readFileSync(file("client.crt"), "utf8"),
      key: readFileSync(file("client.key"), "utf8"),
    });
    expect((await withCertificate.createFlow({ name: "mtls" })).flow?.name).toBe("mtls");
    const without = await flows(server)
      .createFlow({ name: "anonymous" })
      .catch((e) => ConnectError.from(e));
    expect(without).toBeInstanceOf(ConnectError);
    expect((without as ConnectError).rawMessage).toMatch(/certificate required/);
  });
});
