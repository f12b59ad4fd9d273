/**
 * What every command gets: the global options (address, token, TLS, output, timeout), the
 * flowgate client built from them on first use, and the output streams. Nothing here reads
 * the environment: the program hands in the defaults it took from it.
 */
import { readFileSync } from "node:fs";
import { create, type DescMessage, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import type { CallOptions } from "@connectrpc/connect";
import { createFlowgateClient, type FlowgateClient, type TlsOptions } from "../client/index.ts";
import { statusName } from "./errors.ts";
import { UsageError } from "./format.ts";

/** Where output goes (process.stdout / process.stderr, or buffers in tests). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The options every command accepts, as commander parsed them. */
export interface GlobalOptions {
  readonly address: string;
  readonly token?: string;
  readonly tls?: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** "table" or "json" (commander checks the choice). */
  readonly output: string;
  readonly timeout: number;
}

export class CliContext {
  readonly options: GlobalOptions;
  readonly io: CliIo;
  #client: FlowgateClient | undefined;

  constructor(options: GlobalOptions, io: CliIo) {
    this.options = options;
    this.io = io;
  }

  get json(): boolean {
    return this.options.output === "json";
  }

  /** The client, connected on first use. */
  get client(): FlowgateClient {
    this.#client ??= createFlowgateClient({
      address: this.options.address,
      token: this.options.token,
      tls: this.#tls(),
      retry: {
        onRetry: (event) =>
          this.note(
            `retrying ${event.procedure} after ${statusName(event.error.code)} in ${event.delayMs} ms`,
          ),
      },
    });
    return this.#client;
  }

  /** The deadline of one unary call. */
  get callOptions(): CallOptions {
    return { timeoutMs: this.options.timeout * 1000 };
  }

  /** A line (or block) on stdout. */
  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A message's proto3 JSON (the names grpcurl and buf curl print) on stdout. */
  printMessage<T extends DescMessage>(schema: T, message: MessageInitShape<T>): void {
    this.printJson(toJson(schema, create(schema, message)));
  }

  /** Any JSON value on stdout, indented. */
  printJson(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }

  /** A note for the human on stderr, so that stdout stays parseable. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  close(): void {
    this.#client?.close();
  }

  #tls(): boolean | TlsOptions {
    const { tls, caFile, certFile, keyFile } = this.options;
    if (caFile === undefined && certFile === undefined && keyFile === undefined) {
      return tls ?? false;
    }
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new UsageError("--cert-file and --key-file go together");
    }
    return {
      ca: caFile === undefined ? undefined : readFileSync(caFile),
      cert: certFile === undefined ? undefined : readFileSync(certFile),
      key: keyFile === undefined ? undefined : readFileSync(keyFile),
    };
  }
}
