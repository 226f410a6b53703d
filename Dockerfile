# mcpwatch: multi-stage build on the current Node.js LTS (slim). The base is an argument so a
# machine without registry access can build on a local image (the tests do).
ARG NODE_IMAGE=node:26-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed apart from the build's.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="mcpwatch" \
      org.opencontainers.image.description="Monitoring agent for MCP gateways (LiteLLM): MCP probes, Docker log tailing, Prometheus metrics" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/mcpwatch/mcpwatch"
ENV NODE_ENV=production \
    MCPWATCH_CONFIG=/etc/mcpwatch/mcpwatch.yaml \
    MCPWATCH_STATE_DIR=/var/lib/mcpwatch \
    MCPWATCH_LISTEN=0.0.0.0:9464 \
    MCPWATCH_HEALTH_URL=http://127.0.0.1:9464/health
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config/mcpwatch.yaml /etc/mcpwatch/mcpwatch.yaml
# The image's node user (uid 1000) runs mcpwatch. To tail container logs it needs read access
# to the Docker socket: run with --group-add <gid of the socket> (see docs/deployment.md), or use a socket proxy.
RUN mkdir -p /var/lib/mcpwatch && chown node:node /var/lib/mcpwatch
USER node
VOLUME ["/var/lib/mcpwatch"]
EXPOSE 9464
# With a web config (MCPWATCH_WEB_CONFIG_FILE: TLS, basic auth), the healthcheck asks over HTTPS with
# MCPWATCH_HEALTH_USER / MCPWATCH_HEALTH_PASSWORD_FILE and MCPWATCH_HEALTH_CERT_FILE / _KEY_FILE (docs/deployment.md).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/healthcheck.js"]
# V8's young generation capped at 8 MiB semispaces (Node 26 sizes it from the machine's memory):
# see docs/performance.md. Set with the agent's heap growth (src/util/heap.ts).
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/bin.js"]
CMD ["run"]
