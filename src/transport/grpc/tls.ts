/**
 * TLS for the gRPC port from certificate files that are re-read while the server runs, so
 * that a certificate rotated on disk (cert-manager renewing a mounted Secret) is used by new
 * connections without a restart. With a client CA, clients must present a certificate it
 * signed (mutual TLS).
 *
 * grpc-js takes rotating certificates through a CertificateProvider. Its own
 * FileWatcherCertificateProvider publishes whatever it reads, and a pair that does not load
 * (a key from one rotation, a certificate from the next) makes grpc-js drop every new
 * connection. This provider publishes a set of files only once Node has built a secure context
 * from it; otherwise it keeps serving the last good set and logs the problem.
 */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { TlsConfig } from "../../config.ts";
import type { Logger } from "../../logger.ts";

type IdentityListener = (update: { certificate: Buffer; privateKey: Buffer } | null) => void;
type CaListener = (update: { caCertificate: Buffer } | null) => void;

interface Files {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  readonly caCertificate: Buffer | undefined;
}

/** Server credentials over `config`'s files, reloaded every `reloadSeconds`. */
export function reloadingServerCredentials(config: TlsConfig, log: Logger): grpc.ServerCredentials {
  const provider = new ReloadingCertificateProvider(config, log);
  // grpc-js 1.14 names the first parameter `caCertificateProvider` in its types but passes it
  // on as the identity provider (and the second as the CA provider): one provider serves both.
  return grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    config.clientCaFile === undefined ? null : provider,
    config.clientCaFile !== undefined,
  );
}

class ReloadingCertificateProvider implements grpc.experimental.CertificateProvider {
  readonly #config: TlsConfig;
  readonly #log: Logger;
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #caListeners = new Set<CaListener>();
  #current: Files;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: TlsConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    // Read once up front: a set that does not load at start is a configuration error.
    this.#current = this.#load();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    this.#watch();
    // grpc-js registers its own watcher after this call returns: answer on the next tick.
    process.nextTick(() => listener(this.#identity()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
    this.#unwatchIfUnused();
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    this.#watch();
    process.nextTick(() => listener(this.#ca()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
    this.#unwatchIfUnused();
  }

  #identity() {
    return { certificate: this.#current.certificate, privateKey: this.#current.privateKey };
  }

  #ca() {
    const { caCertificate } = this.#current;
    return caCertificate === undefined ? null : { caCertificate };
  }

  /** Reads the files and checks that Node can use them together; throws otherwise. */
  #load(): Files {
    const { certFile, keyFile, clientCaFile } = this.#config;
    const files: Files = {
      certificate: readFileSync(certFile),
      privateKey: readFileSync(keyFile),
      caCertificate: clientCaFile === undefined ? undefined : readFileSync(clientCaFile),
    };
    createSecureContext({
      cert: files.certificate,
      key: files.privateKey,
      ca: files.caCertificate,
    });
    return files;
  }

  #reload(): void {
    let next: Files;
    try {
      next = this.#load();
    } catch (error) {
      this.#log.error({ err: error }, "TLS files do not load; keeping the previous certificate");
      return;
    }
    if (sameFiles(next, this.#current)) return;
    this.#current = next;
    this.#log.info("TLS certificate reloaded");
    for (const listener of this.#identityListeners) listener(this.#identity());
    for (const listener of this.#caListeners) listener(this.#ca());
  }

  #watch(): void {
    this.#timer ??= setInterval(() => this.#reload(), this.#config.reloadSeconds * 1000).unref();
  }

  #unwatchIfUnused(): void {
    if (this.#identityListeners.size > 0 || this.#caListeners.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function sameFiles(a: Files, b: Files): boolean {
  const sameCa =
    a.caCertificate === undefined || b.caCertificate === undefined
      ? a.caCertificate === b.caCertificate
      : a.caCertificate.equals(b.caCertificate);
  return a.certificate.equals(b.certificate) && a.privateKey.equals(b.privateKey) && sameCa;
}
