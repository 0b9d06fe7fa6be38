# syntax=docker/dockerfile:1
# lightgbm-node model server: `lgbm serve` in a small non-root image.
#
#   docker build -t lgbm-serve .
#   docker run --rm -p 8000:8000 -e LGBM_API_KEYS=change-me lgbm-serve
#   docker run --rm -p 8000:8000 -e LGBM_API_KEYS=change-me -v "$PWD/my-models:/models:ro" lgbm-serve /models
#
# NOTE: `docker build` is untested in the environment it was written in (no Docker engine there); its
# steps were run there by hand, outside Docker, on the files this Dockerfile copies. The build stage runs
# what CI runs, `npm ci` (whose `prepare` runs scripts/build-native.mjs: the pinned official lib_lightgbm
# wheel via pip, the native addon via cmake-js; then TypeScript), and packs the release tarballs; the
# runtime stage installs them as a user does (no toolchain), with the optional gRPC peers.

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
COPY README.md LICENSE CHANGELOG.md THIRD-PARTY-NOTICES.md ./
COPY scripts ./scripts
COPY cmake ./cmake
COPY native ./native
COPY src ./src
COPY bin ./bin
COPY models ./models
RUN npm ci
# The release tarballs a user installs (the main package and this platform's prebuilt package).
RUN npm run pack:release -- --out /release

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
# Installed as a user installs it: the two tarballs with install scripts off, plus the optional gRPC
# peers (--grpc-port, the KServe runtime's grpc-v2 port) in the ranges the package declares.
COPY --from=build /release /release
COPY --from=build /app/package.json /release/source-package.json
RUN npm init -y >/dev/null \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund $(node -e " \
      const r = require('/release/release.json'), p = require('/release/source-package.json').peerDependencies; \
      console.log(['/release/' + r.main, '/release/' + r.platform, \
        ...['@grpc/grpc-js', '@grpc/proto-loader'].map((n) => n + '@' + p[n])].join(' '))") \
 && rm -rf /release /root/.npm \
 && ln -s node_modules/lightgbm-node/bin bin
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
