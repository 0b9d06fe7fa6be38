# syntax=docker/dockerfile:1
# lightgbm-node model server: `lgbm serve` in a small non-root image.
#
#   docker build -t lgbm-serve .
#   docker run --rm -p 8000:8000 -e LGBM_API_KEYS=change-me lgbm-serve
#   docker run --rm -p 8000:8000 -e LGBM_API_KEYS=change-me -v "$PWD/my-models:/models:ro" lgbm-serve /models
#
# NOTE: this image build is untested in the environment it was written in (Docker cannot run there).
# Its build steps are exactly the ones CI runs: `npm ci` (whose `prepare` runs scripts/build-native.mjs:
# pinned official lib_lightgbm wheel via pip, the native addon via cmake-js; then TypeScript via tsc).

# ---- build: toolchain, native addon, TypeScript -------------------------------------------------
FROM node:22-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip cmake g++ make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    PIP_BREAK_SYSTEM_PACKAGES=1 \
    CI=true
COPY package.json package-lock.json CMakeLists.txt tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY native ./native
COPY src ./src
COPY bin ./bin
RUN npm ci
# Keep only what the runtime needs: production dependencies, the addon, the library, dist/.
# gRPC (--grpc-port, the KServe runtime's grpc-v2 port) needs the optional peers @grpc/grpc-js and
# @grpc/proto-loader: kept from the dev install at the versions the lockfile pinned.
RUN GRPC="$(node -p "['@grpc/grpc-js','@grpc/proto-loader'].map(p => p + '@' + require('./node_modules/' + p + '/package.json').version).join(' ')")" \
 && npm prune --omit=dev \
 && npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund $GRPC \
 && rm -rf build/Release/obj.target build/Release/.deps build/CMakeFiles src native

# ---- runtime: node + libgomp (OpenMP, needed by lib_lightgbm) -----------------------------------
FROM node:22-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    LGBM_PROFILE=production \
    LGBM_HOST=0.0.0.0 \
    LGBM_PORT=8000
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
# The addon with lib_lightgbm beside it (found through its $ORIGIN run path).
COPY --from=build --chown=node:node /app/build/Release/lightgbm_node.node /app/build/Release/lib_lightgbm.so /app/build/Release/lightgbm-library.json ./build/Release/
COPY --chown=node:node models ./models
# The official image's unprivileged user.
USER node
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.LGBM_PORT || 8000) + '/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM from `docker stop` triggers the graceful shutdown (node is PID 1 here and handles it).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/lgbm.js", "serve"]
CMD ["models/hr-attrition"]
