# The garage image has no shell: the one-shot set-up runs its binary from Debian.
FROM dxflrs/garage:v2.5.0 AS garage
FROM debian:bookworm-slim
COPY --from=garage /garage /usr/local/bin/garage
COPY deploy/garage-init.sh /usr/local/bin/garage-init
ENTRYPOINT ["garage-init"]
