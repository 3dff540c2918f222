#!/usr/bin/env bash
# The whole test suite: unit tests (surefire) and integration tests (failsafe, *IT) of every module.
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B -ntp verify "$@"
