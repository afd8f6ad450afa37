# ml-connector image: one image for every role, chosen by the command (`worker`, `serve`, `migrate`,
# `start`). See docker-compose.yml and docs/production.md.

ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the postinstall that fetches or builds the Temporal CLI for the embedded dev
# server: production images talk to an external Temporal cluster. Native packages (Temporal's
# core bridge, swc, esbuild) ship prebuilt binaries and need no install scripts.
RUN npm ci --ignore-scripts
COPY . .
# tsc -p tsconfig.build.json into dist/, then the workflow bundle, so workers start without bundling.
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
# The code stays root-owned and read-only for the process, which runs as the image's `node` user;
# only the data directory (the config's default dataDir, .data) is writable.
RUN mkdir /app/.data && chown node:node /app/.data
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/ml-connector.js"]
