# Mirrors `make build`: a release build, then a slim image with the binary, templates compiled in and static/.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/sema-pkg /usr/local/bin/sema-pkg
COPY static ./static
ENV HOST=0.0.0.0 PORT=3000 STATIC_DIR=/app/static BLOB_DIR=/data/blobs
VOLUME /data
EXPOSE 3000
CMD ["sema-pkg", "serve"]
