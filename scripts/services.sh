#!/usr/bin/env bash
# Local infrastructure for Chat4All, without Docker: the local equivalent of
# `docker compose up` for the backing services the hub talks to.
#
#   bash scripts/services.sh start    # fetch (first time) and start everything, write .services/env
#   bash scripts/services.sh stop     # stop what `start` started
#   bash scripts/services.sh status   # exit 0 when everything is running, 3 otherwise
#   bash scripts/services.sh start s3 # only the services named (kafka, s3, redis)
#
# Services:
#   - Apache Kafka (single-node KRaft broker+controller), fetched from Maven Central with `mvn`
#     and run with plain `java`. Needs only java (17+) and mvn on the PATH.
#   - PostgreSQL is NOT started here: the machine's own server is suggested in .services/env.
#   - S3-compatible object storage: S3Proxy (org.gaul:s3proxy) with its filesystem backend on
#     127.0.0.1:9000, fetched from Maven Central the same way; the bucket is created on start.
#   - Redis for the API's shared rate-limit counters: Debian's redis-server (installed with apt-get
#     when missing), a server of the repository's own on 127.0.0.1:6390, never the machine's system
#     Redis (6379); counters only, so nothing is saved to disk.
#
# Everything lives under ./.services (git-ignored):
#   .services/env                  `source .services/env` points a shell at the services
#   .services/kafka/pom.xml        generated; lists kafka_2.13 + kafka-tools + log4j2 binding
#   .services/kafka/libs/          all runtime jars (java -cp '.services/kafka/libs/*')
#   .services/kafka/config/        server.properties, log4j2 configs
#   .services/kafka/data/          KRaft metadata + topic data (kept across restarts)
#   .services/kafka/logs/          server.log (broker log), kafkaServer.out (stdout/stderr)
#   .services/kafka/kafka.pid
#   .services/s3/libs/             S3Proxy and its jars; s3/data/ the buckets and objects (kept)
#   .services/s3/s3proxy.conf      generated; s3/logs/ s3proxy.log (warnings), s3proxy.out
#   .services/redis/redis.conf     generated; redis/redis.pid, redis/data/ (working dir), redis/redis.log
#
# Environment overrides:
#   KAFKA_VERSION            org.apache.kafka:kafka_2.13 version (default 4.3.1)
#   KAFKA_TOOLS_VERSION      org.apache.kafka:kafka-tools version (default: KAFKA_VERSION)
#   KAFKA_PORT               PLAINTEXT listener port (default 9092)
#   KAFKA_CONTROLLER_PORT    KRaft controller listener port (default 9093)
#   KAFKA_HOST               listener address (default 127.0.0.1)
#   KAFKA_NUM_PARTITIONS     num.partitions (default 6)
#   KAFKA_HEAP_OPTS          JVM heap options (default -Xms256m -Xmx1g)
#   KAFKA_START_TIMEOUT      seconds to wait for the broker to answer (default 90)
#   KAFKA_STOP_TIMEOUT       seconds to wait after SIGTERM before SIGKILL (default 30)
#   S3PROXY_VERSION          org.gaul:s3proxy version (default 2.6.0)
#   S3_HOST, S3_PORT         S3Proxy listener (default 127.0.0.1:9000)
#   S3PROXY_ACCESS_KEY       access key it accepts (default chat4all)
#   S3PROXY_SECRET_KEY       secret key it accepts (default chat4all-local-secret)
#   S3PROXY_BUCKET           bucket created on start (default chat4all-files)
#   S3PROXY_REGION           region written to .services/env (default us-east-1)
#   S3_HEAP_OPTS             JVM heap options (default -Xms64m -Xmx512m)
#   S3_START_TIMEOUT, S3_STOP_TIMEOUT  seconds (default 60, 20)
#   REDIS_HOST, REDIS_PORT   Redis listener (default 127.0.0.1:6390)
#   REDIS_MAXMEMORY          its memory cap (default 256mb; counters expire with their window anyway)
#   REDIS_START_TIMEOUT, REDIS_STOP_TIMEOUT  seconds (default 20, 10)
#   SERVICES_DIR             state directory (default <repo>/.services)
#   SERVICES_DATABASE_URL    DATABASE_URL written to .services/env
#                            (default postgres://postgres@127.0.0.1:5432/test)
#   MAVEN_ARGS_EXTRA         extra arguments for mvn (e.g. -Dmaven.repo.local=/some/dir)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_DIR="${SERVICES_DIR:-$ROOT/.services}"
ENV_FILE="$SERVICES_DIR/env"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_TOOLS_VERSION="${KAFKA_TOOLS_VERSION:-$KAFKA_VERSION}"
LOG4J_VERSION="${LOG4J_VERSION:-2.25.4}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
SERVICES_DATABASE_URL="${SERVICES_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

S3PROXY_VERSION="${S3PROXY_VERSION:-2.6.0}"
S3_HOST="${S3_HOST:-127.0.0.1}"
S3_PORT="${S3_PORT:-9000}"
S3PROXY_ACCESS_KEY="${S3PROXY_ACCESS_KEY:-chat4all}"
S3PROXY_SECRET_KEY="${S3PROXY_SECRET_KEY:-chat4all-local-secret}"
S3PROXY_BUCKET="${S3PROXY_BUCKET:-chat4all-files}"
S3PROXY_REGION="${S3PROXY_REGION:-us-east-1}"
S3_HEAP_OPTS="${S3_HEAP_OPTS:--Xms64m -Xmx512m}"
S3_START_TIMEOUT="${S3_START_TIMEOUT:-60}"
S3_STOP_TIMEOUT="${S3_STOP_TIMEOUT:-20}"

REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6390}"
REDIS_MAXMEMORY="${REDIS_MAXMEMORY:-256mb}"
REDIS_START_TIMEOUT="${REDIS_START_TIMEOUT:-20}"
REDIS_STOP_TIMEOUT="${REDIS_STOP_TIMEOUT:-10}"
REDIS_DIR="$SERVICES_DIR/redis"
REDIS_CONFIG="$REDIS_DIR/redis.conf"
REDIS_PID_FILE="$REDIS_DIR/redis.pid"
REDIS_URL_LOCAL="redis://$REDIS_HOST:$REDIS_PORT"

S3_DIR="$SERVICES_DIR/s3"
S3_LIBS="$S3_DIR/libs"
S3_DATA="$S3_DIR/data"
S3_LOGS="$S3_DIR/logs"
S3_CONFIG="$S3_DIR/s3proxy.conf"
S3_LOGBACK="$S3_DIR/logback.xml"
S3_PID_FILE="$S3_DIR/s3proxy.pid"
S3_ENDPOINT_URL="http://$S3_HOST:$S3_PORT"

KAFKA_DIR="$SERVICES_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_CONFIG_DIR="$KAFKA_DIR/config"
KAFKA_CONFIG="$KAFKA_CONFIG_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_CONFIG_DIR/log4j2.properties"
KAFKA_TOOLS_LOG4J="$KAFKA_CONFIG_DIR/tools-log4j2.properties"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Serialize concurrent start/stop calls (e.g. two test runs starting at once).
take_lock() {
  mkdir -p "$SERVICES_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$SERVICES_DIR/.lock"
    if ! flock -n 9; then
      log "waiting for another services.sh to finish (lock $SERVICES_DIR/.lock)..."
      flock -w 180 9 || die "another services.sh is still running (lock $SERVICES_DIR/.lock)"
    fi
  fi
}

# maven_fetch NAME DIR LIBS WANT GROUP:ARTIFACT:VERSION...: resolve the artifacts and their runtime
# dependencies with Maven (through a generated pom) and copy every jar into LIBS. Skipped when
# LIBS already holds the jars of WANT (a stamp naming the versions).
maven_fetch() {
  local name="$1" dir="$2" libs="$3" want="$4" coordinate group artifact version deps=""
  shift 4
  local stamp="$libs/.resolved"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: it is needed once to fetch $name"
  mkdir -p "$dir"
  for coordinate in "$@"; do
    IFS=: read -r group artifact version <<<"$coordinate"
    deps+="    <dependency><groupId>$group</groupId><artifactId>$artifact</artifactId><version>$version</version></dependency>
"
  done
  cat >"$dir/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/services.sh: the jars $name needs. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.chat4all</groupId>
  <artifactId>$(basename "$dir")-local</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps  </dependencies>
</project>
EOF
  log "fetching $name and its dependencies with Maven (first run only)..."
  rm -rf "$libs.tmp"
  local mvn_log="$dir/mvn.log"
  # shellcheck disable=SC2086
  if ! mvn -B -f "$dir/pom.xml" ${MAVEN_ARGS_EXTRA:-} \
      dependency:copy-dependencies \
      -DincludeScope=runtime \
      -DoutputDirectory="$libs.tmp" >"$mvn_log" 2>&1; then
    grep -E 'ERROR|Could not' "$mvn_log" | head -n 20 >&2 || true
    die "Maven could not resolve $name (full log: $mvn_log)"
  fi
  rm -rf "$libs"
  mv "$libs.tmp" "$libs"
  printf '%s\n' "$want" >"$stamp"
  log "$name: $(find "$libs" -name '*.jar' | wc -l) jars in ${libs#"$ROOT"/}"
}

# service_pid PID_FILE CONFIG MARKER: the pid of a process this script started, or nothing. A pid
# file whose process is gone or is not ours (pid reuse) is ignored; a process of ours whose pid file
# was lost is found too: its command line has CONFIG as an argument and contains MARKER.
service_pid() {
  local pid_file="$1" config="$2" marker="$3" pid cmd
  if [[ -f "$pid_file" ]]; then
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_ours "$pid" "$marker"; then
      echo "$pid"
      return 0
    fi
  fi
  for cmd in $(grep -lzxF -- "$config" /proc/[0-9]*/cmdline 2>/dev/null); do
    pid="${cmd#/proc/}"
    pid="${pid%/cmdline}"
    if is_ours "$pid" "$marker"; then
      echo "$pid"
      return 0
    fi
  done
  return 0
}

is_ours() {
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$2"* ]]
}

# stop_service NAME PID PID_FILE TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_service() {
  local name="$1" pid="$2" pid_file="$3" timeout="$4"
  if [[ -z "$pid" ]]; then
    rm -f "$pid_file"
    log "$name is not running"
    return 0
  fi
  log "stopping $name (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name did not stop within ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$pid_file"
  log "$name stopped"
}

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------

# check_java NAME: die unless java 17+ is on the PATH (Kafka 4 and S3Proxy 2 both need it).
check_java() {
  command -v java >/dev/null 2>&1 || die "java not found: $1 needs Java 17 or newer"
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)"
  major="${major#1.}"
  if [[ -n "$major" && "$major" =~ ^[0-9]+$ && "$major" -lt 17 ]]; then
    die "java $major found: $1 needs Java 17 or newer"
  fi
}

# Resolve kafka_2.13, kafka-tools and a log4j2 binding with Maven into .services/kafka/libs.
# Kafka's published POMs declare slf4j-api 1.7.x and no binding; the release tarball ships
# log4j-slf4j-impl (the slf4j 1.x -> log4j2 bridge), so add it here as well.
kafka_fetch() {
  maven_fetch "Kafka ${KAFKA_VERSION}" "$KAFKA_DIR" "$KAFKA_LIBS" \
    "kafka_2.13=$KAFKA_VERSION kafka-tools=$KAFKA_TOOLS_VERSION log4j=$LOG4J_VERSION" \
    "org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
    "org.apache.kafka:kafka-tools:$KAFKA_TOOLS_VERSION" \
    "org.apache.logging.log4j:log4j-slf4j-impl:$LOG4J_VERSION" \
    "org.apache.logging.log4j:log4j-core:$LOG4J_VERSION"
}

kafka_write_config() {
  mkdir -p "$KAFKA_CONFIG_DIR" "$KAFKA_DATA" "$KAFKA_LOGS"
  cat >"$KAFKA_CONFIG" <<EOF
# Generated by scripts/services.sh on every start; edits are overwritten.
# Single-node KRaft cluster: one process is both broker and controller (static quorum).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${KAFKA_HOST}:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://${KAFKA_HOST}:${KAFKA_PORT},CONTROLLER://${KAFKA_HOST}:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${KAFKA_HOST}:${KAFKA_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=${KAFKA_DATA}
num.partitions=${KAFKA_NUM_PARTITIONS}
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=1073741824
EOF

  cat >"$KAFKA_LOG4J" <<'EOF'
# Generated by scripts/services.sh: broker logs go to logs/server.log only (nothing on the console).
status = warn
name = kafka-local
property.dir = ${sys:kafka.logs.dir}
appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = ${dir}/server.log
appender.server.filePattern = ${dir}/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 50MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF

  cat >"$KAFKA_TOOLS_LOG4J" <<'EOF'
# Generated by scripts/services.sh: Kafka command-line tools print warnings and errors only.
status = warn
name = kafka-tools
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = stderr
EOF
}

# Run a Kafka tool class with the fetched jars, e.g.
#   kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
kafka_tool() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS/*" "$@"
}

kafka_format_storage() {
  if [[ -f "$KAFKA_DATA/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  cluster_id="$(kafka_tool kafka.tools.StorageTool random-uuid | tail -n1)"
  log "formatting KRaft storage in ${KAFKA_DATA#"$ROOT"/} (cluster id $cluster_id)"
  kafka_tool kafka.tools.StorageTool format \
    --config "$KAFKA_CONFIG" --cluster-id "$cluster_id" --ignore-formatted \
    >"$KAFKA_LOGS/format.out" 2>&1 || {
    cat "$KAFKA_LOGS/format.out" >&2
    die "kafka-storage format failed"
  }
}

# The pid of the broker this script started, or nothing.
kafka_pid() {
  service_pid "$KAFKA_PID_FILE" "$KAFKA_CONFIG" " kafka.Kafka $KAFKA_CONFIG"
}

# kafka_tail_logs [OFFSET]: show the end of the broker's output and of what it logged to
# server.log since byte OFFSET (the size of server.log before this start).
kafka_tail_logs() {
  local offset="${1:-0}" out="$KAFKA_LOGS/kafkaServer.out" server_log="$KAFKA_LOGS/server.log"
  if [[ -s "$out" ]]; then
    printf -- '----- last lines of %s -----\n' "$out" >&2
    tail -n 30 "$out" >&2
  fi
  if [[ -f "$server_log" ]] && (($(wc -c <"$server_log") > offset)); then
    printf -- '----- last lines of %s -----\n' "$server_log" >&2
    tail -c "+$((offset + 1))" "$server_log" | tail -n 30 >&2
  fi
}

kafka_start() {
  local pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]] && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    echo "$pid" >"$KAFKA_PID_FILE"
    log "Kafka already running (pid $pid) on $KAFKA_BOOTSTRAP"
    return 0
  fi
  if [[ -n "$pid" ]]; then
    # Ours but not answering (still starting, or wedged): restart it cleanly.
    log "Kafka process $pid is not accepting connections on $KAFKA_BOOTSTRAP; restarting it"
    kafka_stop
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    die "port $KAFKA_BOOTSTRAP is already in use by another process (set KAFKA_PORT, or stop it)"
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_HOST:$KAFKA_CONTROLLER_PORT is already in use (set KAFKA_CONTROLLER_PORT)"
  fi

  check_java "Kafka ${KAFKA_VERSION}"
  kafka_fetch
  kafka_write_config
  kafka_format_storage

  local server_log="$KAFKA_LOGS/server.log" log_offset=0
  [[ -f "$server_log" ]] && log_offset="$(wc -c <"$server_log")"

  log "starting Kafka ${KAFKA_VERSION} on $KAFKA_BOOTSTRAP (logs: ${KAFKA_LOGS#"$ROOT"/})"
  # Detached (own session, SIGHUP ignored) and without the lock's fd 9, which it must not keep.
  # shellcheck disable=SC2086
  setsid nohup java $KAFKA_HEAP_OPTS \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dkafka.logs.dir="$KAFKA_LOGS" \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
    -cp "$KAFKA_LIBS/*" \
    kafka.Kafka "$KAFKA_CONFIG" \
    >"$KAFKA_LOGS/kafkaServer.out" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PID_FILE"

  local started_at=$SECONDS deadline=$((SECONDS + KAFKA_START_TIMEOUT)) next_note=$((SECONDS + 10))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$KAFKA_PID_FILE"
      kafka_tail_logs "$log_offset"
      die "Kafka exited during start-up"
    fi
    if port_open "$KAFKA_HOST" "$KAFKA_PORT" &&
      tail -c "+$((log_offset + 1))" "$server_log" 2>/dev/null | grep -q 'Kafka Server started'; then
      break
    fi
    if ((SECONDS >= deadline)); then
      kafka_tail_logs "$log_offset"
      kafka_stop >/dev/null 2>&1 || true
      die "Kafka did not come up on $KAFKA_BOOTSTRAP within ${KAFKA_START_TIMEOUT}s"
    fi
    if ((SECONDS >= next_note)); then
      log "  still waiting for Kafka ($((SECONDS - started_at))s)..."
      next_note=$((SECONDS + 10))
    fi
    sleep 0.5
  done

  # Last check: the admin API answers (a metadata request through a real client).
  local remaining=$((deadline - SECONDS))
  ((remaining < 20)) && remaining=20
  if ! timeout "$remaining" java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --list \
    >"$KAFKA_LOGS/ready-check.out" 2>&1; then
    cat "$KAFKA_LOGS/ready-check.out" >&2
    kafka_tail_logs "$log_offset"
    kafka_stop >/dev/null 2>&1 || true
    die "Kafka started but the admin client could not list topics on $KAFKA_BOOTSTRAP"
  fi
  log "Kafka ready on $KAFKA_BOOTSTRAP (pid $pid, $((SECONDS - started_at))s)"
}

kafka_stop() {
  stop_service Kafka "$(kafka_pid)" "$KAFKA_PID_FILE" "$KAFKA_STOP_TIMEOUT"
}

kafka_status() {
  local pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]] && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "kafka: running (pid $pid) on $KAFKA_BOOTSTRAP, version $KAFKA_VERSION, data ${KAFKA_DATA#"$ROOT"/}"
    return 0
  elif [[ -n "$pid" ]]; then
    log "kafka: process $pid alive but $KAFKA_BOOTSTRAP not accepting connections"
  else
    log "kafka: stopped"
  fi
  return 3
}

kafka_env() {
  echo "# Apache Kafka started by scripts/services.sh (single-node KRaft, version $KAFKA_VERSION)"
  echo "export KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: not started here; the machine's server (or any other) is suggested in .services/env.
# ---------------------------------------------------------------------------------------------

postgres_env() {
  echo "# PostgreSQL is not started by this script: suggested server (override with SERVICES_DATABASE_URL)"
  echo "export DATABASE_URL=$SERVICES_DATABASE_URL"
}

postgres_status() {
  if command -v psql >/dev/null 2>&1; then
    if psql "$SERVICES_DATABASE_URL" -Atqc 'select 1' >/dev/null 2>&1; then
      log "postgres: reachable at $SERVICES_DATABASE_URL"
    else
      log "postgres: NOT reachable at $SERVICES_DATABASE_URL (not managed by this script)"
    fi
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# S3: S3Proxy (org.gaul:s3proxy from Maven Central) with its filesystem backend, a real S3 API
# server: it checks SigV4 signatures (headers and presigned URLs), their expiry, and supports
# multipart uploads, UploadPartCopy, ranges and response-header overrides.
# ---------------------------------------------------------------------------------------------

s3_pid() {
  service_pid "$S3_PID_FILE" "$S3_CONFIG" " org.gaul.s3proxy.Main --properties $S3_CONFIG"
}

s3_write_config() {
  mkdir -p "$S3_DATA" "$S3_LOGS"
  cat >"$S3_CONFIG" <<EOF
# Generated by scripts/services.sh on every start; edits are overwritten.
s3proxy.endpoint=http://${S3_HOST}:${S3_PORT}
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${S3PROXY_ACCESS_KEY}
s3proxy.credential=${S3PROXY_SECRET_KEY}
jclouds.provider=filesystem
jclouds.identity=${S3PROXY_ACCESS_KEY}
jclouds.credential=${S3PROXY_SECRET_KEY}
jclouds.filesystem.basedir=${S3_DATA}
EOF
  cat >"$S3_LOGBACK" <<EOF
<!-- Generated by scripts/services.sh: S3Proxy logs warnings and errors to logs/s3proxy.log. -->
<configuration>
  <appender name="file" class="ch.qos.logback.core.FileAppender">
    <file>${S3_LOGS}/s3proxy.log</file>
    <encoder><pattern>%d %level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="file"/></root>
</configuration>
EOF
}

# s3_request METHOD PATH: a SigV4-signed request with curl; prints the HTTP status.
s3_request() {
  curl -s -o /dev/null -w '%{http_code}' -X "$1" --aws-sigv4 "aws:amz:${S3PROXY_REGION}:s3" \
    --user "${S3PROXY_ACCESS_KEY}:${S3PROXY_SECRET_KEY}" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    "http://${S3_HOST}:${S3_PORT}$2" || true
}

s3_start() {
  local pid
  pid="$(s3_pid)"
  if [[ -n "$pid" ]] && port_open "$S3_HOST" "$S3_PORT"; then
    echo "$pid" >"$S3_PID_FILE"
    log "S3Proxy already running (pid $pid) on $S3_ENDPOINT_URL"
    s3_create_bucket
    return 0
  fi
  [[ -n "$pid" ]] && s3_stop
  if port_open "$S3_HOST" "$S3_PORT"; then
    die "port $S3_HOST:$S3_PORT is already in use by another process (set S3_PORT, or stop it)"
  fi
  command -v curl >/dev/null 2>&1 || die "curl not found: it checks that S3Proxy answers and creates the bucket"
  check_java "S3Proxy ${S3PROXY_VERSION}"
  maven_fetch "S3Proxy ${S3PROXY_VERSION}" "$S3_DIR" "$S3_LIBS" "s3proxy=$S3PROXY_VERSION" \
    "org.gaul:s3proxy:$S3PROXY_VERSION"
  s3_write_config

  log "starting S3Proxy ${S3PROXY_VERSION} on $S3_ENDPOINT_URL (data: ${S3_DATA#"$ROOT"/})"
  # shellcheck disable=SC2086
  setsid nohup java $S3_HEAP_OPTS -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlogback.configurationFile="$S3_LOGBACK" \
    -cp "$S3_LIBS/*" org.gaul.s3proxy.Main --properties "$S3_CONFIG" \
    >"$S3_LOGS/s3proxy.out" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$S3_PID_FILE"

  local started_at=$SECONDS deadline=$((SECONDS + S3_START_TIMEOUT))
  # Ready when a signed request is answered: a bucket listing needs the credentials to be right.
  until [[ "$(s3_request GET /)" == 200 ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$S3_PID_FILE"
      tail -n 30 "$S3_LOGS/s3proxy.out" "$S3_LOGS/s3proxy.log" >&2 2>/dev/null || true
      die "S3Proxy exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$S3_LOGS/s3proxy.out" "$S3_LOGS/s3proxy.log" >&2 2>/dev/null || true
      s3_stop >/dev/null 2>&1 || true
      die "S3Proxy did not answer on $S3_ENDPOINT_URL within ${S3_START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  s3_create_bucket
  log "S3Proxy ready on $S3_ENDPOINT_URL (pid $pid, $((SECONDS - started_at))s)"
}

s3_create_bucket() {
  local status
  status="$(s3_request PUT "/$S3PROXY_BUCKET")"
  # 200 created; 409 BucketAlreadyOwnedByYou
  [[ "$status" == 200 || "$status" == 409 ]] || die "could not create bucket $S3PROXY_BUCKET (HTTP $status)"
}

s3_stop() {
  stop_service S3Proxy "$(s3_pid)" "$S3_PID_FILE" "$S3_STOP_TIMEOUT"
}

s3_status() {
  local pid
  pid="$(s3_pid)"
  if [[ -n "$pid" ]] && [[ "$(s3_request GET /)" == 200 ]]; then
    log "s3: running (pid $pid) on $S3_ENDPOINT_URL, S3Proxy $S3PROXY_VERSION, bucket $S3PROXY_BUCKET, data ${S3_DATA#"$ROOT"/}"
    return 0
  elif [[ -n "$pid" ]]; then
    log "s3: process $pid alive but $S3_ENDPOINT_URL does not answer signed requests"
  else
    log "s3: stopped"
  fi
  return 3
}

s3_env() {
  echo "# S3-compatible object storage started by scripts/services.sh (S3Proxy $S3PROXY_VERSION, filesystem backend)"
  echo "export S3_ENDPOINT=$S3_ENDPOINT_URL"
  echo "export S3_ACCESS_KEY=$S3PROXY_ACCESS_KEY"
  echo "export S3_SECRET_KEY=$S3PROXY_SECRET_KEY"
  echo "export S3_BUCKET=$S3PROXY_BUCKET"
  echo "export S3_REGION=$S3PROXY_REGION"
}

# ---------------------------------------------------------------------------------------------
# Redis: Debian's redis-server, run as a server of the repository's own (its own port, config,
# pid and working directory under .services/redis), for the API processes' shared rate limits.
# ---------------------------------------------------------------------------------------------

# Installs Debian's redis-server package when the binary is missing (as root, or with sudo without a password).
redis_install() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "redis-server not found and no apt-get to install it: install Redis 6.2+ (redis-server, redis-cli)"
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; } || die "redis-server not found: install it as root (apt-get install redis-server)"
    sudo="sudo -n"
  fi
  log "installing redis-server with apt-get (first run only)..."
  local apt_log="$SERVICES_DIR/apt-redis.log"
  mkdir -p "$SERVICES_DIR"
  # A fresh machine's package lists may be missing or stale: update them once when the install cannot find it.
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends redis-server >"$apt_log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update >>"$apt_log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends redis-server >>"$apt_log" 2>&1 || {
      tail -n 20 "$apt_log" >&2
      die "apt-get could not install redis-server (full log: $apt_log)"
    }
  fi
  command -v redis-server >/dev/null 2>&1 || die "redis-server still not found after installing it"
}

redis_write_config() {
  mkdir -p "$REDIS_DIR/data"
  cat >"$REDIS_CONFIG" <<EOF
# Generated by scripts/services.sh on every start; edits are overwritten.
# The hub's rate-limit counters: they expire with their windows, so nothing is saved to disk.
bind ${REDIS_HOST}
port ${REDIS_PORT}
protected-mode yes
daemonize no
pidfile ${REDIS_PID_FILE}
dir ${REDIS_DIR}/data
logfile ${REDIS_DIR}/redis.log
save ""
appendonly no
maxmemory ${REDIS_MAXMEMORY}
maxmemory-policy volatile-ttl
EOF
}

# The pid of the redis-server this script started, or nothing. Redis rewrites its command line to
# "redis-server HOST:PORT", so a process is ours when it is a redis-server listening on our address.
redis_pid() {
  local pid
  if [[ -f "$REDIS_PID_FILE" ]]; then
    pid="$(cat "$REDIS_PID_FILE" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && redis_is_ours "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  for pid in $(grep -lx 'redis-server' /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3); do
    if redis_is_ours "$pid"; then
      echo "$pid"
      return 0
    fi
  done
  return 0
}

redis_is_ours() {
  [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == redis-server ]] && is_ours "$1" "$REDIS_HOST:$REDIS_PORT"
}

redis_ping() {
  [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

redis_start() {
  local pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]] && redis_ping; then
    log "Redis already running (pid $pid) on $REDIS_URL_LOCAL"
    return 0
  fi
  [[ -n "$pid" ]] && redis_stop
  if port_open "$REDIS_HOST" "$REDIS_PORT"; then
    die "port $REDIS_HOST:$REDIS_PORT is already in use by another process (set REDIS_PORT, or stop it)"
  fi
  redis_install
  redis_write_config
  log "starting Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') on $REDIS_URL_LOCAL (state: ${REDIS_DIR#"$ROOT"/})"
  setsid nohup redis-server "$REDIS_CONFIG" >"$REDIS_DIR/redis.out" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$REDIS_PID_FILE"
  local started_at=$SECONDS deadline=$((SECONDS + REDIS_START_TIMEOUT))
  until redis_ping; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$REDIS_PID_FILE"
      tail -n 20 "$REDIS_DIR/redis.out" "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
      die "Redis exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
      redis_stop >/dev/null 2>&1 || true
      die "Redis did not answer on $REDIS_URL_LOCAL within ${REDIS_START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  log "Redis ready on $REDIS_URL_LOCAL (pid $pid, $((SECONDS - started_at))s)"
}

redis_stop() {
  stop_service Redis "$(redis_pid)" "$REDIS_PID_FILE" "$REDIS_STOP_TIMEOUT"
}

redis_status() {
  local pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]] && redis_ping; then
    log "redis: running (pid $pid) on $REDIS_URL_LOCAL, state ${REDIS_DIR#"$ROOT"/}"
    return 0
  elif [[ -n "$pid" ]]; then
    log "redis: process $pid alive but $REDIS_URL_LOCAL does not answer PING"
  else
    log "redis: stopped"
  fi
  return 3
}

redis_env() {
  echo "# Redis started by scripts/services.sh (the API processes' shared rate-limit counters)"
  echo "export REDIS_URL=$REDIS_URL_LOCAL"
}

# ---------------------------------------------------------------------------------------------

# Which services a command acts on: the ones named after it, or all of them.
SERVICES=(kafka s3 redis)

selected() {
  local wanted
  for wanted in "${SELECTED[@]}"; do
    [[ "$wanted" == "$1" ]] && return 0
  done
  return 1
}

# .services/env lists the variables of every service that is running now (whichever call started it).
write_env() {
  mkdir -p "$SERVICES_DIR"
  {
    echo "# Generated by scripts/services.sh start. Use: source .services/env"
    if kafka_status >/dev/null; then kafka_env; fi
    postgres_env
    if s3_status >/dev/null; then s3_env; fi
    if redis_status >/dev/null; then redis_env; fi
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  log "wrote ${ENV_FILE#"$ROOT"/} (source it to point the hub at these services)"
}

cmd_start() {
  take_lock
  if selected kafka; then kafka_start; fi
  if selected s3; then s3_start; fi
  if selected redis; then redis_start; fi
  write_env
}

cmd_stop() {
  take_lock
  if selected redis; then redis_stop; fi
  if selected s3; then s3_stop; fi
  if selected kafka; then kafka_stop; fi
}

cmd_status() {
  local rc=0
  if selected kafka; then kafka_status || rc=$?; fi
  if selected s3; then s3_status || rc=$?; fi
  if selected redis; then redis_status || rc=$?; fi
  postgres_status
  return "$rc"
}

command="${1:-}"
shift || true
SELECTED=("$@")
[[ ${#SELECTED[@]} -gt 0 ]] || SELECTED=("${SERVICES[@]}")
for service in "${SELECTED[@]}"; do
  [[ " ${SERVICES[*]} " == *" $service "* ]] || { echo "unknown service \"$service\" (known: ${SERVICES[*]})" >&2; exit 2; }
done

case "$command" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status [kafka] [s3] [redis]" >&2
    exit 2
    ;;
esac
