/**
 * Optional bearer-token authentication for flowgate's own services (health and reflection
 * stay open: probes and grpcurl must work without credentials). Tokens are compared by
 * their SHA-256 digests in constant time, and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { CallHeaders } from "../call.ts";
import { StatusError } from "../grpc/errors.ts";
import type { Interceptor } from "./interceptor.ts";

/** Checks a call's headers; throws UNAUTHENTICATED when the token is missing or wrong. */
export type Authenticator = (headers: CallHeaders) => void;

export function bearerTokenAuthenticator(tokens: readonly string[]): Authenticator {
  const digests = tokens.map(digest);
  return (headers) => {
    const header = headers.get("authorization");
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null)
      throw new StatusError(grpc.status.UNAUTHENTICATED, "missing bearer token", "MISSING_TOKEN");
    const presented = digest(match[1]!);
    if (!digests.some((known) => timingSafeEqual(known, presented))) {
      throw new StatusError(grpc.status.UNAUTHENTICATED, "invalid bearer token", "INVALID_TOKEN");
    }
  };
}

/** Refuses a call before anything else runs when `authenticate` does. */
export function authentication(authenticate: Authenticator): Interceptor {
  return (next) => async (request, context) => {
    authenticate(context.headers);
    return next(request, context);
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
