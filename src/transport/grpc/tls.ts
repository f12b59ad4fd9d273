/**
 * TLS from certificate files that are re-read while the server runs, so that a certificate
 * rotated on disk (cert-manager renewing a mounted Secret) is used by new connections without
 * a restart, on the gRPC port (grpc-js) and the HTTP port (Node's TLS server) alike. With a
 * client CA, clients must present a certificate it signed (mutual TLS).
 *
 * A set of files is published only once Node has built a secure context from it; otherwise
 * the last good set keeps being served and the problem is logged. (grpc-js's own
 * FileWatcherCertificateProvider publishes whatever it reads, and a pair that does not load
 * (a key from one rotation, a certificate from the next) makes grpc-js drop every new
 * connection.)
 */
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { TlsConfig } from "../../config.ts";
import type { Logger } from "../../logger.ts";

type IdentityListener = (update: { certificate: Buffer; privateKey: Buffer } | null) => void;
type CaListener = (update: { caCertificate: Buffer } | null) => void;
type OnFiles = (files: TlsFiles) => void;

/** One set of certificate files that loads. */
export interface TlsFiles {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  readonly caCertificate: Buffer | undefined;
}

/** Server credentials over `config`'s files, reloaded every `reloadSeconds`. */
export function reloadingServerCredentials(config: TlsConfig, log: Logger): grpc.ServerCredentials {
  const provider = new ReloadingCertificateProvider(new TlsFileWatcher(config, log));
  // grpc-js 1.14 names the first parameter `caCertificateProvider` in its types but passes it
  // on as the identity provider (and the second as the CA provider): one provider serves both.
  return grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    config.clientCaFile === undefined ? null : provider,
    config.clientCaFile !== undefined,
  );
}

/** The files of a {@link TlsConfig}, re-read every `reloadSeconds` while someone listens. */
export class TlsFileWatcher {
  readonly #config: TlsConfig;
  readonly #log: Logger;
  readonly #listeners = new Set<OnFiles>();
  #current: TlsFiles;
  #timer: NodeJS.Timeout | undefined;

  constructor(config: TlsConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    // Read once up front: a set that does not load at start is a configuration error.
    this.#current = this.#load();
  }

  get current(): TlsFiles {
    return this.#current;
  }

  /** Tells `listener` about each new set of files that loads. */
  subscribe(listener: OnFiles): void {
    this.#listeners.add(listener);
    this.#timer ??= setInterval(() => this.#reload(), this.#config.reloadSeconds * 1000).unref();
  }

  unsubscribe(listener: OnFiles): void {
    this.#listeners.delete(listener);
    if (this.#listeners.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the files and checks that Node can use them together; throws otherwise. */
  #load(): TlsFiles {
    const { certFile, keyFile, clientCaFile } = this.#config;
    const files: TlsFiles = {
      certificate: readFileSync(certFile),
      privateKey: readFileSync(keyFile),
      caCertificate: clientCaFile === undefined ? undefined : readFileSync(clientCaFile),
    };
    createSecureContext(secureContextOptions(files));
    return files;
  }

  #reload(): void {
    let next: TlsFiles;
    try {
      next = this.#load();
    } catch (error) {
      this.#log.error({ err: error }, "TLS files do not load; keeping the previous certificate");
      return;
    }
    if (sameFiles(next, this.#current)) return;
    this.#current = next;
    this.#log.info("TLS certificate reloaded");
    for (const listener of this.#listeners) listener(next);
  }
}

/** Node's options for a secure context from `files` (client certificates required with a CA). */
export function secureContextOptions(files: TlsFiles): SecureContextOptions {
  return { cert: files.certificate, key: files.privateKey, ca: files.caCertificate };
}

/** grpc-js's view of a {@link TlsFileWatcher}: identity and CA listeners. */
class ReloadingCertificateProvider implements grpc.experimental.CertificateProvider {
  readonly #files: TlsFileWatcher;
  readonly #identityListeners = new Map<IdentityListener, OnFiles>();
  readonly #caListeners = new Map<CaListener, OnFiles>();

  constructor(files: TlsFileWatcher) {
    this.#files = files;
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#add(this.#identityListeners, listener, (files) => listener(identity(files)));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#remove(this.#identityListeners, listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#add(this.#caListeners, listener, (files) => listener(ca(files)));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#remove(this.#caListeners, listener);
  }

  #add<L>(listeners: Map<L, OnFiles>, listener: L, onFiles: OnFiles): void {
    listeners.set(listener, onFiles);
    this.#files.subscribe(onFiles);
    // grpc-js registers its own watcher after this call returns: answer on the next tick.
    process.nextTick(() => onFiles(this.#files.current));
  }

  #remove<L>(listeners: Map<L, OnFiles>, listener: L): void {
    const onFiles = listeners.get(listener);
    if (onFiles === undefined) return;
    listeners.delete(listener);
    this.#files.unsubscribe(onFiles);
  }
}

function identity(files: TlsFiles) {
  return { certificate: files.certificate, privateKey: files.privateKey };
}

function ca(files: TlsFiles) {
  const { caCertificate } = files;
  return caCertificate === undefined ? null : { caCertificate };
}

function sameFiles(a: TlsFiles, b: TlsFiles): boolean {
  const sameCa =
    a.caCertificate === undefined || b.caCertificate === undefined
      ? a.caCertificate === b.caCertificate
      : a.caCertificate.equals(b.caCertificate);
  return a.certificate.equals(b.certificate) && a.privateKey.equals(b.privateKey) && sameCa;
}
