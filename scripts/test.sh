#!/usr/bin/env bash
# The whole test suite, in two parts:
#   1. the host build: unit tests (surefire) and integration tests (failsafe, *IT) of every module;
#   2. the kernel-lab suite: the *LabIT tests, run in a qemu VM whose kernel has the plug qdisc
#      (it/kernel-lab/lab.sh mvn-verify), on the classes part 1 just built.
# Arguments go to the host build's Maven. With CI=true nothing may be skipped: a skipped test fails
# the run, and so does a machine that cannot run the lab. Without CI=true, a machine that cannot run
# the lab (not root) skips part 2 with a loud message.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[test] %s\n' "$*" >&2; }
elapsed() { printf '%d s' $(( SECONDS - $1 )); }
ci() { [[ ${CI:-} == true ]]; }

# Sums the test reports given (JUnit XML) and prints "tests skipped".
count_reports() {
    local tests=0 skipped=0 f line
    for f in "$@"; do
        [[ -f $f ]] || continue
        line=$(grep -m 1 -o '<testsuite [^>]*>' "$f" || true)
        [[ $line =~ \ tests=\"([0-9]+)\" ]] && tests=$(( tests + BASH_REMATCH[1] ))
        [[ $line =~ \ skipped=\"([0-9]+)\" ]] && skipped=$(( skipped + BASH_REMATCH[1] ))
    done
    echo "$tests $skipped"
}

start=$SECONDS
# Reports of an earlier run (of tests since renamed, or of the lab) must not be counted.
rm -rf ./*/target/surefire-reports ./*/target/failsafe-reports
say "part 1/2: host build (mvn verify)"
mvn -B -ntp verify "$@"
read -r tests skipped < <(count_reports ./*/target/surefire-reports/TEST-*.xml ./*/target/failsafe-reports/TEST-*.xml)
say "host build: $tests tests, $skipped skipped, in $(elapsed "$start")"
if ci && [[ $skipped -ne 0 ]]; then
    say "ERROR: CI=true and $skipped test(s) were skipped on the host:"
    grep -l '<skipped' ./*/target/surefire-reports/TEST-*.xml ./*/target/failsafe-reports/TEST-*.xml >&2 || true
    exit 1
fi

lab_start=$SECONDS
if [[ $(id -u) -ne 0 ]]; then
    if ci; then
        say "ERROR: CI=true but the kernel-lab suite cannot run here: it needs root (apt-get, qemu, 9p of /)"
        exit 1
    fi
    say "################################################################################"
    say "SKIPPED (loudly): part 2/2, the kernel-lab suite (*LabIT): it needs root"
    say "(it installs qemu and a Debian kernel with sch_plug, then boots it). Run as root:"
    say "  it/kernel-lab/lab.sh mvn-verify"
    say "################################################################################"
    exit 0
fi
say "part 2/2: kernel-lab suite (it/kernel-lab/lab.sh mvn-verify)"
rm -f it/target/failsafe-reports/TEST-*LabIT*.xml
lab_rc=0
it/kernel-lab/lab.sh mvn-verify --timeout 1200 || lab_rc=$?
if [[ $lab_rc -eq 75 ]]; then
    # The guest kernel died under emulation before the suite reached a verdict (lab.sh exit 75): run it
    # once more from the start. A test failure or a second crash still fails the run.
    say "WARNING: the lab's guest kernel died mid-suite (no verdict); running the kernel-lab suite once more"
    rm -f it/target/failsafe-reports/TEST-*LabIT*.xml
    lab_rc=0
    it/kernel-lab/lab.sh mvn-verify --timeout 1200 || lab_rc=$?
fi
if [[ $lab_rc -ne 0 ]]; then
    say "ERROR: the kernel-lab suite failed (lab.sh exit $lab_rc)"
    exit "$lab_rc"
fi
read -r tests skipped < <(count_reports it/target/failsafe-reports/TEST-*LabIT*.xml)
say "kernel-lab suite: $tests tests, $skipped skipped, in $(elapsed "$lab_start")"
if [[ $tests -eq 0 || $skipped -ne 0 ]]; then
    say "ERROR: in the lab every *LabIT test must run: $tests ran, $skipped skipped"
    exit 1
fi
say "all tests passed in $(elapsed "$start")"
