# A FROM-scratch image holding only the static binary: the Mozilla CA roots are compiled in,
# so no certificate files, shell or libc are needed.
#
#   docker build -t dingtalk-mcp .
#   docker run --rm -i -e DINGTALK_BOT_ACCESS_TOKEN=… -e DINGTALK_BOT_SECRET=… dingtalk-mcp

# The toolchain bench/startup.order was written with (symbol names carry its hash).
FROM rust:1.95.0-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY bench/startup.order ./bench/
COPY src ./src
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
    && mkdir -p /state \
    && chown 65534:65534 /state

FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/dingtalk-mcp /dingtalk-mcp
# A writable place for the rate-limit state; mount a volume here to share it between containers.
COPY --from=build --chown=65534:65534 /state /state
ENV DINGTALK_STATE_DIR=/state
USER 65534:65534
ENTRYPOINT ["/dingtalk-mcp"]
