# Mirrors `make build`: a release build, then a slim runtime image. Templates and
# migrations are compiled into the binary; static/ is copied beside it.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app sema
WORKDIR /app
COPY --from=build /src/target/release/sema-pkg /usr/local/bin/sema-pkg
COPY static ./static
COPY migrations ./migrations
RUN mkdir -p /data/blobs && chown -R sema /data
USER sema
ENV HOST=0.0.0.0 PORT=3000 STATIC_DIR=/app/static BLOB_DIR=/data/blobs
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:3000/readyz || exit 1
CMD ["sema-pkg", "serve"]
