#!/usr/bin/env bash
# Streaming-replication clusters for internal/postgres/replica_test.go:
# a primary on 55432, a replica on 55433 and a replica that applies WAL
# 3 s late on 55434, all on 127.0.0.1 with trust auth.
#
#   bash .ci/pg-replicas.sh start   # prints the three test variables
#   bash .ci/pg-replicas.sh stop    # stops the clusters and deletes them
#
# Both commands are idempotent. Run as root (the clusters run as the
# postgres user) or as postgres itself.
set -euo pipefail

BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BASE=${PG_REPLICAS_DIR:-/tmp/corkboard-pg-replicas}
PRIMARY_PORT=55432
REPLICA_PORT=55433
DELAYED_PORT=55434

as_postgres() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

running() { [ -f "$1/postmaster.pid" ] && as_postgres "$BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

start_cluster() { # dir port
	running "$1" && return 0
	# Sockets go in $BASE, so no cluster needs /var/run/postgresql. These
	# ports lie in the kernel's ephemeral range, where a client's
	# TIME-WAIT socket can hold one for a minute: retry rather than fail.
	local try
	for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
		if as_postgres "$BIN/pg_ctl" -D "$1" -l "$1.log" -w -t 30 \
			-o "-p $2 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$BASE" start >/dev/null; then
			return 0
		fi
		echo "port $2 busy? retrying in 5 s; see $1.log" >&2
		sleep 5
	done
	return 1
}

start_replica() { # dir port [delay]
	if [ ! -f "$1/standby.signal" ]; then
		rm -rf "$1"
		as_postgres "$BIN/pg_basebackup" -R -X stream --checkpoint=fast -D "$1" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres
		if [ -n "${3:-}" ]; then
			echo "recovery_min_apply_delay = '$3'" | as_postgres tee -a "$1/postgresql.auto.conf" >/dev/null
		fi
	fi
	start_cluster "$1" "$2"
}

start() {
	mkdir -p "$BASE"
	chown postgres: "$BASE" 2>/dev/null || true
	local p=$BASE/primary
	if [ ! -f "$p/PG_VERSION" ]; then
		as_postgres "$BIN/initdb" -D "$p" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
		cat <<-CONF | as_postgres tee -a "$p/postgresql.conf" >/dev/null
		wal_level = replica
		max_wal_senders = 10
		hot_standby = on
		# Replicas report replay progress often, so lag checks see it soon.
		wal_receiver_status_interval = 1s
		CONF
		cat <<-HBA | as_postgres tee "$p/pg_hba.conf" >/dev/null
		local all all trust
		host all all 127.0.0.1/32 trust
		host replication all 127.0.0.1/32 trust
		HBA
	fi
	start_cluster "$p" "$PRIMARY_PORT"
	# Before the base backups, so the delayed replica does not lack the
	# database for its first 3 s.
	if [ "$(as_postgres psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = 'test'")" != 1 ]; then
		as_postgres psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qc 'CREATE DATABASE test'
	fi
	start_replica "$BASE/replica" "$REPLICA_PORT"
	start_replica "$BASE/delayed" "$DELAYED_PORT" 3s
	echo "CORKBOARD_TEST_PRIMARY_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/test?sslmode=disable"
	echo "CORKBOARD_TEST_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/test?sslmode=disable"
	echo "CORKBOARD_TEST_DELAYED_REPLICA_URL=postgres://postgres@127.0.0.1:$DELAYED_PORT/test?sslmode=disable"
}

stop() {
	for d in delayed replica primary; do
		if running "$BASE/$d"; then
			as_postgres "$BIN/pg_ctl" -D "$BASE/$d" -m fast -w stop >/dev/null
		fi
	done
	rm -rf "$BASE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
