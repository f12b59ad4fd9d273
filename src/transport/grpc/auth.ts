/**
 * Optional bearer-token authentication for flowgate's own services (health and reflection
 * stay open: probes and grpcurl must work without credentials). Tokens are compared by
 * their SHA-256 digests in constant time, and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { StatusError } from "./errors.ts";

/** Checks a call's metadata; throws UNAUTHENTICATED when the token is missing or wrong. */
export type Authenticator = (metadata: grpc.Metadata) => void;

export function bearerTokenAuthenticator(tokens: readonly string[]): Authenticator {
  const digests = tokens.map(digest);
  return (metadata) => {
    const header = metadata.get("authorization")[0];
    const match = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (match === null)
      throw new StatusError(grpc.status.UNAUTHENTICATED, "missing bearer token", "MISSING_TOKEN");
    const presented = digest(match[1]!);
    if (!digests.some((known) => timingSafeEqual(known, presented))) {
      throw new StatusError(grpc.status.UNAUTHENTICATED, "invalid bearer token", "INVALID_TOKEN");
    }
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
