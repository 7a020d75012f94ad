# syntax=docker/dockerfile:1

# 1. Compile TypeScript and bundle the view with the full dependency set.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# No install script of any dependency runs; the one patch to the SDK (patches/) is applied explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund && npx patch-package --error-on-fail
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/buildView.ts ./scripts/
# The server, then the MCP Apps view (one HTML file, dist/view/tasks.html).
RUN npm run build

# 2. Production dependencies only: the build's (patched) node_modules without the dev packages.
FROM build AS deps
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled code, production dependencies, an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    METRICS_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
# 3000: the MCP endpoint. 9464: Prometheus metrics, for the scraper only; do not publish it.
EXPOSE 3000 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and receives SIGTERM/SIGINT directly, so it drains before exiting.
CMD ["node", "dist/index.js"]
