#!/usr/bin/env bash
# The core interop tests against a second, independent broker: amqtt (PyPI,
# pure Python, asyncio), installed into a venv under build/.
#
#   tests/second_broker.sh [FIRMWARE]      (default build/unix/micropython)
#
# Installs amqtt==$AMQTT_VERSION into build/venv-amqtt if it is not there
# (about 20 s), then runs tests/run.py --broker amqtt on the tests that
# exercise connect, publish (QoS 0/1), subscribe (wildcards), unsubscribe,
# retain, last will, ping and large payloads. Tests needing what the amqtt
# run does not have (password and TLS listeners, the broker-control server,
# persistent sessions) are skipped by run.py with the reason.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIRMWARE=${1:-$ROOT/build/unix/micropython}
AMQTT_VERSION=${AMQTT_VERSION:-0.12.1}
VENV=$ROOT/build/venv-amqtt

if ! "$VENV/bin/amqtt" --version 2>/dev/null | grep -qx "$AMQTT_VERSION"; then
    echo "== installing amqtt $AMQTT_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "amqtt==$AMQTT_VERSION"
fi

# The core interop suite (simple2 unless the name says otherwise).
CORE=(test_publish_qos0 test_publish_qos1 test_subscribe test_unsubscribe test_retain
      test_lastwill test_ping_idle test_disconnect test_large test_message_timeout
      test_robust_subclass test_umqtt_uiflow)
args=()
for t in "${CORE[@]}"; do args+=(-k "$t"); done
AMQTT="$VENV/bin/amqtt" python3 "$ROOT/tests/run.py" --micropython "$FIRMWARE" --broker amqtt -j 2 "${args[@]}"
