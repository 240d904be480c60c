# syntax=docker/dockerfile:1
# b24-sign as a container: `docker build -t b24-sign .` (compose.yaml adds PostgreSQL; README "Containers").
# Three stages on the same Node 22 image the project pins; the last one runs as the unprivileged `node`
# user with production dependencies and the production build only, and its command is the same
# `npm run start:prod` the tests start (test/integration/container.test.ts checks this file against the repository).
ARG NODE_IMAGE=node:22-slim

# 1. The production build (scripts/build.ts → /app/dist), with every dependency, development ones included.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# 2. Runtime dependencies only: dist/ imports nothing from devDependencies (the build refuses otherwise).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. What runs.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# DATA_DIR is used only without DATABASE_URL (embedded PGlite); owned by the runtime user so a volume there works.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Ready = the database answers and every migration this build ships is applied (src/doors/health.ts).
# No curl in the slim image: Node's own fetch probes it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# npm forwards SIGTERM (docker stop) to the server, which drains requests and jobs before it exits.
CMD ["npm", "run", "--silent", "start:prod"]
