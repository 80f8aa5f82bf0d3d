#!/usr/bin/env bash
# Local infrastructure for Single: PostgreSQL, Redis, RabbitMQ (+management), Kafka (KRaft).
#
#   scripts/infra.sh up                      reuse what is reachable, install/start the rest
#   scripts/infra.sh down                    stop what this script started
#   scripts/infra.sh status                  show each service and whether it is reachable
#   scripts/infra.sh stop|start|restart SVC  SVC = postgres | redis | rabbitmq | kafka
#
# Works without Docker and without systemd (Debian, as root). See docs/infra.md.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://single:single@127.0.0.1:5432/single}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
RABBITMQ_URL="${RABBITMQ_URL:-amqp://single:single@127.0.0.1:5672}"
RABBITMQ_MANAGEMENT_URL="${RABBITMQ_MANAGEMENT_URL:-http://single:single@127.0.0.1:15672/api}"
KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.2}"
SINGLE_INFRA_HOME="${SINGLE_INFRA_HOME:-$HOME/.cache/single-infra}"
INFRA_TIMEOUT="${INFRA_TIMEOUT:-60}" # seconds to wait for one service to become ready

SERVICES=(postgres redis rabbitmq kafka)
STATE="$SINGLE_INFRA_HOME"
KAFKA_HOME="$STATE/kafka-$KAFKA_VERSION"
REDIS_HOME="$STATE/redis"
RABBIT_HOME="$STATE/rabbitmq"
RABBIT_NODE="${RABBITMQ_NODENAME:-single@localhost}"
# A second set of servers (the storm test's own, which it restarts) differs by ports, SINGLE_INFRA_HOME, this
# PostgreSQL cluster name (used only when no cluster listens on the port yet) and the RabbitMQ node name.
PG_CLUSTER_NAME="${PG_CLUSTER_NAME:-single}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
elapsed() { local s=$1; local e; e=$(now_ms); printf '%d.%03ds' $(((e - s) / 1000)) $(((e - s) % 1000)); }

# ---------------------------------------------------------------- URL parsing
# parse_url URL -> sets U_USER U_PASS U_HOST U_PORT U_PATH
parse_url() {
  local url=$1 rest auth hostport
  rest="${url#*://}"
  U_USER="" U_PASS="" U_PATH=""
  if [[ "$rest" == */* ]]; then U_PATH="${rest#*/}"; rest="${rest%%/*}"; fi
  if [[ "$rest" == *@* ]]; then
    auth="${rest%@*}"; hostport="${rest##*@}"
    U_USER="${auth%%:*}"
    [[ "$auth" == *:* ]] && U_PASS="${auth#*:}"
  else
    hostport="$rest"
  fi
  U_HOST="${hostport%:*}"; U_PORT="${hostport##*:}"
  [[ "$hostport" == *:* ]] || U_PORT=""
  U_PATH="${U_PATH%%\?*}"
}

parse_url "$DATABASE_URL"
PG_USER="${U_USER:-single}" PG_PASS="${U_PASS:-single}" PG_HOST="${U_HOST:-127.0.0.1}" PG_PORT="${U_PORT:-5432}" PG_DB="${U_PATH:-single}"
parse_url "$REDIS_URL"
REDIS_HOST="${U_HOST:-127.0.0.1}" REDIS_PORT="${U_PORT:-6379}" REDIS_PASS="$U_PASS"
parse_url "$RABBITMQ_URL"
RMQ_USER="${U_USER:-single}" RMQ_PASS="${U_PASS:-single}" RMQ_HOST="${U_HOST:-127.0.0.1}" RMQ_PORT="${U_PORT:-5672}"
parse_url "$RABBITMQ_MANAGEMENT_URL"
RMQ_MGMT_HOST="${U_HOST:-127.0.0.1}" RMQ_MGMT_PORT="${U_PORT:-15672}"
RMQ_MGMT_API="http://${RMQ_MGMT_HOST}:${RMQ_MGMT_PORT}/api"
KAFKA_FIRST="${KAFKA_BROKERS%%,*}"
KAFKA_HOST="${KAFKA_FIRST%:*}" KAFKA_PORT="${KAFKA_FIRST##*:}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"

is_local_host() { [[ "$1" == 127.* || "$1" == localhost ]]; }
tcp_host() { [[ "$1" == localhost ]] && echo 127.0.0.1 || echo "$1"; }

# ---------------------------------------------------------------- probes
# tcp_open HOST PORT : succeeds if something accepts a TCP connection
tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$(tcp_host "$1")/$2" 2>/dev/null; }

postgres_ready() {
  tcp_open "$PG_HOST" "$PG_PORT" || return 1
  command -v psql >/dev/null || return 1
  PGCONNECT_TIMEOUT=3 timeout 5 psql "$DATABASE_URL" -XAtqc 'select 1' 2>/dev/null | grep -qx 1
}

redis_ready() {
  timeout 3 bash -c '
    exec 3<>/dev/tcp/'"$(tcp_host "$REDIS_HOST")"'/'"$REDIS_PORT"' || exit 1
    if [[ -n "$1" ]]; then printf "AUTH %s\r\n" "$1" >&3; IFS= read -r l <&3; [[ "$l" == +OK* ]] || exit 1; fi
    printf "PING\r\n" >&3; IFS= read -r l <&3; [[ "$l" == +PONG* ]]' _ "$REDIS_PASS" 2>/dev/null
}

# AMQP: send the protocol header, a live broker answers with a Connection.Start method frame (type 1).
rabbitmq_amqp_ready() {
  timeout 3 bash -c '
    exec 3<>/dev/tcp/'"$(tcp_host "$RMQ_HOST")"'/'"$RMQ_PORT"' || exit 1
    printf "AMQP\x00\x00\x09\x01" >&3
    [[ "$(head -c 1 <&3 | od -An -tx1 | tr -d " \n")" == 01 ]]' 2>/dev/null
}
# Management API: the configured user can log in and is an administrator.
rabbitmq_mgmt_ready() {
  command -v curl >/dev/null || return 1
  curl -fsS -m 3 -u "$RMQ_USER:$RMQ_PASS" "$RMQ_MGMT_API/whoami" 2>/dev/null | grep -q administrator
}
rabbitmq_ready() { rabbitmq_amqp_ready && rabbitmq_mgmt_ready; }

# Kafka: a raw Metadata v4 request (all topics, no auto-create). Ready when the broker answers with
# our correlation id and lists at least one live broker.
kafka_ready() {
  local out
  out=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/'"$(tcp_host "$KAFKA_HOST")"'/'"$KAFKA_PORT"' || exit 1
    printf "\x00\x00\x00\x0f\x00\x03\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff\xff\xff\x00" >&3
    head -c 16 <&3 | od -An -tx1 | tr -d " \n"' 2>/dev/null) || return 1
  # bytes 4..7 = correlation id 7, 8..11 throttle, 12..15 broker count
  [[ ${#out} -eq 32 && "${out:8:8}" == 00000007 && "${out:24:8}" != 00000000 ]]
}

ready() { "${1}_ready"; }
# svc_alive SVC : false only when we know the process we started has died (kafka, redis)
svc_alive() {
  local f
  case $1 in kafka) f="$KAFKA_HOME/kafka.pid" ;; redis) f="$REDIS_HOME/redis.pid" ;; *) return 0 ;; esac
  [[ -f "$f" ]] || return 0
  kill -0 "$(cat "$f" 2>/dev/null)" 2>/dev/null
}

# wait_ready SVC LOGFILE
wait_ready() {
  local svc=$1 logf=$2 t0 deadline
  t0=$(now_ms); deadline=$((SECONDS + INFRA_TIMEOUT))
  until ready "$svc"; do
    if ! svc_alive "$svc"; then
      log "$svc exited after $(elapsed "$t0") before it was ready; last lines of $logf:"
      tail -n 25 "$logf" >&2 2>/dev/null || true
      die "$svc failed to start (process exited; log: $logf)"
    fi
    if ((SECONDS >= deadline)); then
      log "$svc did not become ready within ${INFRA_TIMEOUT}s; last lines of $logf:"
      tail -n 25 "$logf" >&2 2>/dev/null || true
      die "$svc failed to start (log: $logf)"
    fi
    sleep 0.25
  done
  log "$svc ready in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- installation
need_root() { [[ $(id -u) -eq 0 ]] || die "$1 is missing and installing it needs root (apt-get)"; }

apt_install() {
  (($#)) || return 0
  command -v apt-get >/dev/null || die "cannot install $* : no apt-get on this machine"
  need_root "$*"
  log "apt-get install $*"
  local t0; t0=$(now_ms)
  if ! apt-get install -y -q "$@" >"$STATE/apt.log" 2>&1; then
    log "apt-get install failed, running apt-get update and retrying"
    apt-get update -q >>"$STATE/apt.log" 2>&1 || true
    apt-get install -y -q "$@" >>"$STATE/apt.log" 2>&1 ||
      { tail -n 20 "$STATE/apt.log" >&2; die "apt-get install $* failed (log: $STATE/apt.log)"; }
  fi
  log "installed $* in $(elapsed "$t0")"
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

# ensure_packages SVC... : install what the given services need to run locally
ensure_packages() {
  local pkgs=() s
  for s in "$@"; do
    case $s in
      postgres) { command -v pg_ctlcluster >/dev/null && [[ -n "$(pg_bindir)" ]] && command -v psql >/dev/null; } || pkgs+=(postgresql) ;;
      redis) command -v redis-server >/dev/null || pkgs+=(redis-server) ;;
      rabbitmq) [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || pkgs+=(rabbitmq-server) ;;
      kafka)
        command -v java >/dev/null || pkgs+=(default-jre-headless)
        [[ -f "$KAFKA_HOME/libs/.complete" ]] || command -v mvn >/dev/null || pkgs+=(maven)
        ;;
    esac
  done
  [[ " $* " == *" rabbitmq "* ]] && ! command -v curl >/dev/null && pkgs+=(curl)
  [[ " $* " == *" postgres "* ]] && ! command -v psql >/dev/null && [[ " ${pkgs[*]-} " != *" postgresql "* ]] && pkgs+=(postgresql-client)
  if ((${#pkgs[@]})); then apt_install "${pkgs[@]}"; fi
}

# ---------------------------------------------------------------- postgres
# Picks the local cluster listening on PG_PORT; creates a cluster named "single" if none does.
pg_cluster() {
  local line
  line=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p {print $1, $2; exit}')
  if [[ -z "$line" ]]; then
    local ver; ver=$(basename "$(dirname "$(pg_bindir)")")
    log "creating PostgreSQL $ver cluster '$PG_CLUSTER_NAME' on port $PG_PORT"
    pg_createcluster "$ver" "$PG_CLUSTER_NAME" -p "$PG_PORT" >/dev/null
    line="$ver $PG_CLUSTER_NAME"
  fi
  echo "$line"
}
pg_log() { local c; c=$(pg_cluster); echo "/var/log/postgresql/postgresql-${c// /-}.log"; }

postgres_start() {
  local c; c=$(pg_cluster)
  # shellcheck disable=SC2086
  pg_ctlcluster $c start >/dev/null 2>&1 9>&- || { tcp_open "$PG_HOST" "$PG_PORT" || die "postgres failed to start (log: $(pg_log))"; }
}
# wait for the local socket, then create role + database
postgres_prepare() {
  local deadline=$((SECONDS + INFRA_TIMEOUT))
  until runuser -u postgres -- psql -X -p "$PG_PORT" -Atqc 'select 1' >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "postgres did not accept connections within ${INFRA_TIMEOUT}s (log: $(pg_log))"
    sleep 0.2
  done
  postgres_provision
}
postgres_stop() {
  local c; c=$(pg_cluster)
  # shellcheck disable=SC2086
  pg_ctlcluster $c stop -m fast >/dev/null 2>&1 || true
}
postgres_provision() {
  local q_pass=${PG_PASS//\'/\'\'}
  runuser -u postgres -- psql -X -q -p "$PG_PORT" -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE "$PG_USER" LOGIN SUPERUSER PASSWORD '$q_pass';
  ELSE
    ALTER ROLE "$PG_USER" LOGIN SUPERUSER PASSWORD '$q_pass';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE "$PG_DB" OWNER "$PG_USER"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB') \gexec
SQL
  # lz4 for TOASTed values (the webhook delivery log's bodies): a fraction of pglz's CPU. Where the server
  # was built without lz4 the setting is refused and pglz stays.
  runuser -u postgres -- psql -X -q -p "$PG_PORT" -c "ALTER SYSTEM SET default_toast_compression = 'lz4'" \
    -c 'SELECT pg_reload_conf()' >/dev/null 2>&1 || log "postgres: lz4 not available, TOAST stays on pglz"
}
postgres_logfile() { pg_log; }

# ---------------------------------------------------------------- redis
redis_start() {
  mkdir -p "$REDIS_HOME"
  rm -f "$REDIS_HOME/redis.pid" # stale after a kill; redis writes its own once daemonized
  local args=(--daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_HOME"
    --pidfile "$REDIS_HOME/redis.pid" --logfile "$REDIS_HOME/redis.log")
  [[ -n "$REDIS_PASS" ]] && args+=(--requirepass "$REDIS_PASS")
  redis-server "${args[@]}" >/dev/null 2>&1 </dev/null 9>&- || die "redis failed to start (log: $REDIS_HOME/redis.log)"
}
redis_stop() { stop_pidfile "$REDIS_HOME/redis.pid" redis 20; }
redis_prepare() { :; }
redis_logfile() { echo "$REDIS_HOME/redis.log"; }

# ---------------------------------------------------------------- rabbitmq
# Runs as root with all state under $SINGLE_INFRA_HOME/rabbitmq (node single@localhost), so it does not
# depend on Debian's service setup or on the machine's hostname.
rabbit_env_vars() {
  RABBIT_ENV=(HOME="$RABBIT_HOME"
    RABBITMQ_NODENAME="$RABBIT_NODE"
    RABBITMQ_CONFIG_FILE="$RABBIT_HOME/rabbitmq.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_HOME/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$RABBIT_HOME/mnesia"
    RABBITMQ_LOG_BASE="$RABBIT_HOME/log"
    RABBITMQ_LOGS="$RABBIT_HOME/log/rabbit.log"
    RABBITMQ_PID_FILE="$RABBIT_HOME/rabbit.pid"
    RABBITMQ_DIST_PORT="$((RMQ_PORT + 20000))")
}
rabbit_env_vars
rabbitmqctl_() { env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBIT_NODE" "$@"; }
rabbitmq_start() {
  mkdir -p "$RABBIT_HOME/log" "$RABBIT_HOME/mnesia"
  cat >"$RABBIT_HOME/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
default_user = $RMQ_USER
default_pass = $RMQ_PASS
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
disk_free_limit.absolute = 50MB
EOF
  echo '[rabbitmq_management].' >"$RABBIT_HOME/enabled_plugins"
  # detached: own session, no inherited lock fd (9) or caller stdout/stderr
  (cd "$RABBIT_HOME" && exec env "${RABBIT_ENV[@]}" setsid /usr/lib/rabbitmq/bin/rabbitmq-server) \
    >"$RABBIT_HOME/log/startup.log" 2>&1 </dev/null 9>&- &
  disown $! 2>/dev/null || true
}
rabbitmq_stop() {
  [[ -f "$RABBIT_HOME/rabbit.pid" ]] || return 0
  # RabbitMQ (>= 3.8) shuts down gracefully on SIGTERM; much faster than booting the rabbitmqctl CLI
  stop_pidfile "$RABBIT_HOME/rabbit.pid" rabbitmq 15
}
# default_user in rabbitmq.conf only applies to a fresh node; make sure the user is right anyway.
rabbitmq_provision() {
  rabbitmq_mgmt_ready && return 0
  [[ -f "$RABBIT_HOME/rabbitmq.conf" ]] || return 0 # not our node: nothing we can do
  rabbitmqctl_ add_user "$RMQ_USER" "$RMQ_PASS" >/dev/null 2>&1 || rabbitmqctl_ change_password "$RMQ_USER" "$RMQ_PASS" >/dev/null
  rabbitmqctl_ set_user_tags "$RMQ_USER" administrator >/dev/null
  rabbitmqctl_ set_permissions -p / "$RMQ_USER" '.*' '.*' '.*' >/dev/null
}
# wait until the AMQP listener answers and the management listener is open, then make sure of the user
rabbitmq_prepare() {
  local deadline=$((SECONDS + INFRA_TIMEOUT))
  until rabbitmq_amqp_ready && tcp_open "$RMQ_MGMT_HOST" "$RMQ_MGMT_PORT"; do
    if ((SECONDS >= deadline)); then
      tail -n 25 "$(rabbitmq_logfile)" >&2 2>/dev/null || true
      die "rabbitmq failed to start within ${INFRA_TIMEOUT}s (log: $(rabbitmq_logfile), $RABBIT_HOME/log/startup.log)"
    fi
    sleep 0.25
  done
  rabbitmq_provision
}
rabbitmq_logfile() { echo "$RABBIT_HOME/log/rabbit.log"; }

# ---------------------------------------------------------------- kafka
kafka_fetch() {
  [[ -f "$KAFKA_HOME/libs/.complete" ]] && return 0
  local t0; t0=$(now_ms)
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_HOME/libs"
  mkdir -p "$KAFKA_HOME/fetch"
  cat >"$KAFKA_HOME/fetch/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>single.infra</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <!-- broker (kafka.Kafka) and storage format tool (kafka.tools.StorageTool) -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- slf4j 1.7 -> log4j2 binding, so the broker logs to a file -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.3</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$KAFKA_HOME/libs"
  (cd "$KAFKA_HOME/fetch" && mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs" >"$KAFKA_HOME/fetch/mvn.log" 2>&1) ||
    { tail -n 30 "$KAFKA_HOME/fetch/mvn.log" >&2; die "kafka: fetching jars failed (log: $KAFKA_HOME/fetch/mvn.log)"; }
  touch "$KAFKA_HOME/libs/.complete"
  log "kafka jars fetched in $(elapsed "$t0")"
}
kafka_java() { java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" -Dkafka.logs.dir="$KAFKA_HOME/logs" \
  -cp "$KAFKA_HOME/libs/*" "$@"; }
kafka_configure() {
  mkdir -p "$KAFKA_HOME/logs" "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_HOME/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
log.retention.hours=24
EOF
  cat >"$KAFKA_HOME/log4j2.properties" <<EOF
status = error
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $KAFKA_HOME/logs/server.log
appender.file.filePattern = $KAFKA_HOME/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
EOF
  if [[ ! -f "$KAFKA_HOME/data/meta.properties" ]]; then
    local id
    id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_HOME/server.properties" \
      >"$KAFKA_HOME/logs/format.log" 2>&1 || { cat "$KAFKA_HOME/logs/format.log" >&2; die "kafka: storage format failed (log: $KAFKA_HOME/logs/format.log)"; }
    log "kafka storage formatted (cluster id $id)"
  fi
}
kafka_start() {
  kafka_fetch
  kafka_configure
  # A pid file left by a killed broker names a dead process: wait_ready would take it for ours and give up.
  rm -f "$KAFKA_HOME/kafka.pid"
  (cd "$KAFKA_HOME" && exec setsid bash -c 'echo $$ >"$1/kafka.pid"; shift; exec "$@"' _ "$KAFKA_HOME" \
    java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" -Dkafka.logs.dir="$KAFKA_HOME/logs" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_HOME/server.properties") \
    >"$KAFKA_HOME/logs/stdout.log" 2>&1 </dev/null 9>&- &
  disown $! 2>/dev/null || true
}
kafka_stop() { stop_pidfile "$KAFKA_HOME/kafka.pid" kafka 30; }
kafka_prepare() { :; }
kafka_logfile() { echo "$KAFKA_HOME/logs/server.log"; }

# ---------------------------------------------------------------- generic
# stop_pidfile FILE NAME TIMEOUT : SIGTERM, wait, then SIGKILL
stop_pidfile() {
  local f=$1 name=$2 t=$3 pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + t))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then log "$name did not stop in ${t}s, killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$f"
}

svc_host() { case $1 in postgres) echo "$PG_HOST" ;; redis) echo "$REDIS_HOST" ;; rabbitmq) echo "$RMQ_HOST" ;; kafka) echo "$KAFKA_HOST" ;; esac; }
svc_port() { case $1 in postgres) echo "$PG_PORT" ;; redis) echo "$REDIS_PORT" ;; rabbitmq) echo "$RMQ_PORT" ;; kafka) echo "$KAFKA_PORT" ;; esac; }
svc_url() { case $1 in postgres) echo "$DATABASE_URL" ;; redis) echo "$REDIS_URL" ;; rabbitmq) echo "$RABBITMQ_URL (mgmt $RMQ_MGMT_API)" ;; kafka) echo "$KAFKA_BROKERS" ;; esac; }
owned() { [[ -f "$STATE/started/$1" ]]; }

# resume_stopped PORT : a server frozen by SIGSTOP keeps its port (the kernel still accepts connections) and
# never answers, so waiting on it cannot succeed. Resume every stopped process of the listener's session.
resume_stopped() {
  command -v ss >/dev/null || return 0
  local pid sid p
  for pid in $(ss -Htlnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    sid=$(awk '{print $6}' "/proc/$pid/stat" 2>/dev/null) || continue
    for p in /proc/[0-9]*; do
      read -r -a st <"$p/stat" 2>/dev/null || continue
      # fields after "pid (comm)": state is 3rd, session 6th (comm holds no spaces for these servers)
      if [[ "${st[2]}" == T && "${st[5]}" == "$sid" ]]; then
        log "pid ${st[0]} ${st[1]} (session of the listener on port $1) is stopped; resuming it"
        kill -CONT "${st[0]}" 2>/dev/null || true
      fi
    done
  done
}

# svc_up SVC : reuse if ready, else install+start+provision
svc_up() {
  local svc=$1 t0; t0=$(now_ms)
  if ready "$svc"; then log "$svc: reachable at $(svc_url "$svc") (reused)"; return 0; fi
  is_local_host "$(svc_host "$svc")" || die "$svc: not reachable at $(svc_url "$svc") and not a local address, cannot start it"
  ensure_packages "$svc"
  if tcp_open "$(svc_host "$svc")" "$(svc_port "$svc")"; then
    # Something listens but the readiness check fails: maybe still booting or users missing.
    log "$svc: port $(svc_port "$svc") is open but not ready yet; waiting/provisioning"
    resume_stopped "$(svc_port "$svc")"
  else
    log "$svc: starting"
    "${svc}_start"
    mkdir -p "$STATE/started"; touch "$STATE/started/$svc"
  fi
  "${svc}_prepare"
  wait_ready "$svc" "$("${svc}_logfile")"
  log "$svc: up at $(svc_url "$svc") in $(elapsed "$t0")"
}

svc_stop() {
  local svc=$1 t0; t0=$(now_ms)
  "${svc}_stop"
  local deadline=$((SECONDS + 30))
  while tcp_open "$(svc_host "$svc")" "$(svc_port "$svc")"; do
    ((SECONDS < deadline)) || die "$svc: still listening on port $(svc_port "$svc") after stop (not started by this script?)"
    sleep 0.1
  done
  log "$svc: stopped in $(elapsed "$t0")"
}

check_svc() { [[ " ${SERVICES[*]} " == *" $1 "* ]] || die "unknown service '$1' (expected one of: ${SERVICES[*]})"; }

with_lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  if ! flock -n 9; then
    log "waiting for another infra.sh run (lock $STATE/.lock)"
    local t0; t0=$(now_ms)
    flock -w 300 9 || die "another infra.sh is still running after 300s (lock $STATE/.lock)"
    log "got the lock after $(elapsed "$t0")"
  fi
}

cmd=${1:-}
case $cmd in
  up)
    with_lock
    t_all=$(now_ms)
    shift
    [[ $# -gt 0 ]] && svcs=("$@") || svcs=("${SERVICES[@]}")
    for s in "${svcs[@]}"; do check_svc "$s"; done
    # install every missing package in one apt-get call, only for services that are not reachable
    missing=()
    for s in "${svcs[@]}"; do ready "$s" || missing+=("$s"); done
    if ((${#missing[@]})); then
      mkdir -p "$STATE"
      ensure_packages "${missing[@]}"
      [[ " ${missing[*]} " == *" kafka "* ]] && kafka_fetch
    fi
    for s in "${svcs[@]}"; do svc_up "$s"; done
    log "up: all services ready in $(elapsed "$t_all")"
    ;;
  down)
    with_lock
    for s in kafka rabbitmq redis postgres; do
      if owned "$s"; then svc_stop "$s"; rm -f "$STATE/started/$s"; else log "$s: not started by this script, left alone"; fi
    done
    ;;
  status)
    rc=0
    for s in "${SERVICES[@]}"; do
      if ready "$s"; then st=up; elif tcp_open "$(svc_host "$s")" "$(svc_port "$s")"; then st="port open, NOT ready"; rc=1; else st=down; rc=1; fi
      printf '%-9s %-22s %s%s\n' "$s" "$st" "$(svc_url "$s")" "$(owned "$s" && echo "  [started by infra.sh, log: $("${s}_logfile")]" || true)"
    done
    exit $rc
    ;;
  stop)
    [[ $# -eq 2 ]] || die "usage: $0 stop <postgres|redis|rabbitmq|kafka>"
    check_svc "$2"; with_lock; svc_stop "$2"
    ;;
  start)
    [[ $# -eq 2 ]] || die "usage: $0 start <postgres|redis|rabbitmq|kafka>"
    check_svc "$2"; with_lock; svc_up "$2"
    ;;
  restart)
    [[ $# -eq 2 ]] || die "usage: $0 restart <postgres|redis|rabbitmq|kafka>"
    check_svc "$2"; with_lock; t_r=$(now_ms); svc_stop "$2"; svc_up "$2"; log "$2: restarted in $(elapsed "$t_r")"
    ;;
  *)
    echo "usage: $0 up [service...] | down | status | stop|start|restart <postgres|redis|rabbitmq|kafka>" >&2
    exit 2
    ;;
esac
