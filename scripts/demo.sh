#!/usr/bin/env bash
# The main job: build the command line once (if needed), then run `netbuf demo` with any options given.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=cli/target/netbuf.jar
if [ ! -f "$jar" ] || [ -n "$(find api impl testkit cli -name '*.java' -newer "$jar" -print -quit)" ]; then
  echo "[demo] building netbuf (first run takes a minute)..." >&2
  mvn -q -B -ntp -DskipTests -pl cli -am package
fi
exec cli/bin/netbuf demo "$@"
