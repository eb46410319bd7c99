# syntax=docker/dockerfile:1
# hwayo-release worker (and codec server) image. Build: docker build -t hwayo-release:0.1.0 .

# ---- build: compile TypeScript and prebuild the workflow bundle into dist/ -------------------------
FROM node:22.23.3-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build \
 && test -f dist/src/worker.js \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and dist/ only, as a non-root user ----------------------------
FROM node:22.23.3-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HWAYO_WORKER_HTTP_HOST=0.0.0.0 \
    HWAYO_WORKER_HTTP_PORT=9464 \
    HWAYO_SDK_METRICS_PORT=9465
WORKDIR /app
RUN groupadd --system --gid 10001 hwayo \
 && useradd --system --uid 10001 --gid hwayo --home-dir /app --shell /usr/sbin/nologin hwayo
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
USER 10001:10001
EXPOSE 9464 9465
# No curl in the slim image: node itself asks the worker's health endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/worker.js"]
