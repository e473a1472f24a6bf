# syntax=docker/dockerfile:1
# AI Training Service: build with `docker build -t ai-training-service .`, run with docker-compose.yml.
# scripts/rehearse-docker-build.sh replays these steps without a Docker engine; keep the two in step.

# 1. Dependencies, including the build tools.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

# 2. Bundle the service into dist/ (esbuild) and the web app into dist/web (Vite).
FROM deps AS build
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
COPY web ./web
# The build also makes the migrated PGlite template (dist/pglite-template), from the migrations.
COPY drizzle ./drizzle
RUN npm run build

# 3. Runtime: production dependencies, the bundle, migrations and the course catalog; no compiler, not root.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
COPY curriculum ./curriculum
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As `npm start`: V8 lets the heap grow to at most twice what survives a full collection (BENCHMARKS.md, memory).
CMD ["node", "--heap-growing-percent=100", "dist/server.js"]
