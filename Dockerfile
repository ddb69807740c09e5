# Berth container image.
#
#   docker build -t berth .
#   docker run -p 127.0.0.1:5000:5000 -v berth-data:/var/lib/berth berth
#
# Two stages: "build" compiles TypeScript with the dev dependencies; "runtime" holds only
# the production dependencies, the compiled dist/ and the SQL migrations, and runs as an
# unprivileged user. With no DATABASE_URL the container runs its own PostgreSQL (the
# embedded-postgres binaries) under /var/lib/berth; see docker-compose.yml for Berth with
# a PostgreSQL service.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# NOTE: the lockfile is copied alone first so that the dependency layer is cached until
# package.json or package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# package.json stays: it carries "type": "module", which the compiled ES modules need.
COPY --from=build /src/dist ./dist
COPY migrations ./migrations
# The management API serves its own OpenAPI description (/api/v2.0/openapi.yaml).
COPY docs/openapi.yaml ./docs/openapi.yaml

# NOTE: the data directory is created and owned by the runtime user before VOLUME, so a
# fresh named volume starts out writable by that user. A bind mount must be owned by
# uid 10001 (chown 10001:10001 <dir>).
RUN groupadd --system --gid 10001 berth \
 && useradd --system --uid 10001 --gid berth --home-dir /var/lib/berth --no-create-home \
      --shell /usr/sbin/nologin berth \
 && mkdir -p /var/lib/berth \
 && chown berth:berth /var/lib/berth

ENV PORT=5000 \
    BERTH_DATA_DIR=/var/lib/berth
USER 10001:10001
EXPOSE 5000
VOLUME ["/var/lib/berth"]

# Node 20 has fetch built in, so the check needs no curl in the image. It asks the
# loopback address: it fails if BERTH_HOST binds a single other address.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/api/v2.0/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Berth handles SIGTERM itself (in-flight requests get BERTH_SHUTDOWN_TIMEOUT); give
# `docker stop` at least that long (docker stop -t 40, or stop_grace_period in compose).
CMD ["node", "dist/server/main.js"]
