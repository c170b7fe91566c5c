# tpot2misp container image. Build: docker build -t tpot2misp .
# Run next to T-Pot with docker-compose.yml (it joins T-Pot's network); settings come from .env at run time,
# never from the image.

# --- build: compile TypeScript and the SQLite binding, then keep only production dependencies
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs the `prepare` script, which builds dist/.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: no compiler, no dev dependencies, not root
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    STATE_DB=/var/lib/tpot2misp/state/tpot2misp.db \
    VALIDATION_REPORT_DIR=/var/lib/tpot2misp/reports \
    MISP_FEED_DIR=/var/lib/tpot2misp/feed \
    LOG_FILE_PATH=/var/lib/tpot2misp/logs/tpot2misp.log \
    TPOT_DATA_DIR=/data \
    PROMETHEUS_ENABLED=true \
    PROMETHEUS_HOST=0.0.0.0 \
    PROMETHEUS_PORT=9431
RUN groupadd --system --gid 10001 tpot2misp \
 && useradd --system --uid 10001 --gid tpot2misp --home-dir /var/lib/tpot2misp --shell /usr/sbin/nologin tpot2misp \
 && mkdir -p /var/lib/tpot2misp \
 && chown tpot2misp:tpot2misp /var/lib/tpot2misp
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json README.md LICENSE .env.example ./
COPY examples ./examples
USER tpot2misp
# PROMETHEUS_HOST=0.0.0.0 above: outside a container the default is 127.0.0.1, which inside one would be the
# container's own loopback, out of reach of Docker's port mapping and of other containers (the health check asks
# 127.0.0.1, which 0.0.0.0 includes). Publish the port on the host's loopback (docker-compose.yml does) to keep it private.
# State (checkpoints, what MISP holds, the realtime outbox), reports, feed and logs survive the container.
VOLUME ["/var/lib/tpot2misp"]
EXPOSE 9431
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PROMETHEUS_PORT || 9431) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["run"]
