# brook's apps as a container image: one worker per container, configured by
# environment variables only (BROOK_BOOTSTRAP_SERVERS, BROOK_APPLICATION_ID,
# BROOK_INPUT_TOPIC, ... — every config key as BROOK_<KEY> with '.' as '_',
# every app flag as BROOK_<FLAG>), stopped with SIGTERM. Local state lives in
# /var/lib/brook (a volume: keep it across restarts so that tasks resume from
# it). Untested here (no container engine on the build machines); what it
# relies on — a worker set up by its environment alone and stopped with
# SIGTERM — is tested (tests/integration/workers_real_broker_test.cc).
#
#   docker build -t brook .
#   docker run -e BROOK_BOOTSTRAP_SERVERS=kafka:9092 brook               # running totals
#   docker run -e BROOK_BOOTSTRAP_SERVERS=kafka:9092 --entrypoint brook-windowed-sales brook
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake ninja-build pkg-config \
      librdkafka-dev librocksdb-dev libsimdjson-dev libboost-dev libfmt-dev \
      libgoogle-perftools-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBROOK_BUILD_TESTS=OFF -DBROOK_BUILD_BENCH=OFF \
 && cmake --build /build --target brook-running-totals brook-windowed-sales \
      brook-purchase-enrichment brook-restock-sales brook-sales-generator brook-topics

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 librocksdb7.8 libsimdjson14 libfmt9 \
      libtcmalloc-minimal4 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/brook brook \
 && mkdir -p /var/lib/brook && chown brook /var/lib/brook
COPY --from=build /build/apps/brook-running-totals /build/apps/brook-windowed-sales \
     /build/apps/brook-purchase-enrichment /build/apps/brook-restock-sales \
     /build/apps/brook-sales-generator /build/apps/brook-topics /usr/local/bin/
USER brook
ENV BROOK_STATE_DIR=/var/lib/brook
VOLUME /var/lib/brook
STOPSIGNAL SIGTERM
ENTRYPOINT ["brook-running-totals"]
