# The hub's image: every role runs from it (see docker-compose.yml). The TypeScript sources run directly (Node
# strips types), dependencies from the lockfile. Node is the version the tests run on (package.json's `node`),
# pinned to its release: a rebuild gets the same runtime, and updating it is a visible change here.
FROM node:24.21.0-bookworm-slim

LABEL org.opencontainers.image.title="Chat4All API Hub" \
      org.opencontainers.image.licenses="MIT"

WORKDIR /app
COPY package.json package-lock.json ./
# bcrypt loads its bundled N-API prebuild, so no install script needs to run.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY src ./src
COPY migrations ./migrations
COPY bin ./bin
# The code stays root's, read-only to the hub; the embedded mode's data directory is the one place it writes.
RUN mkdir -p /app/data && chown node:node /app/data

ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# The unprivileged user the Node image ships (uid 1000): a compromised hub cannot touch the image or its code.
USER node

# Liveness of the API (`start` and `api` serve /health). Other roles serve no HTTP: docker-compose.yml turns the check
# off for them, and Docker's restart policy watches their process. The image has no curl: Node's fetch asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (Docker's stop signal) stops the hub gracefully within 20 s: give it a stop grace period longer than that.
ENTRYPOINT ["node", "src/cli.ts"]
CMD ["start"]
