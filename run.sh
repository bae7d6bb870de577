#!/usr/bin/env bash
# Set up chitnode and run it on an embedded default: a demo branch in ./data/demo.
# The demo key file is sealed with a demo passphrase; set CHITNODE_PASSPHRASE to choose yours.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup
export CHITNODE_DATA=${CHITNODE_DATA:-$PWD/data/demo}
export CHITNODE_PASSPHRASE=${CHITNODE_PASSPHRASE:-chitnode-demo-passphrase}
export CHITNODE_KEYSTORE=${CHITNODE_KEYSTORE:-file}
if [ -f "$CHITNODE_DATA/chitnode.db" ]; then
  .venv/bin/chitnode status
else
  .venv/bin/chitnode demo
fi
