#!/usr/bin/env bash
# Set up chitnode and run it on an embedded default: a demo branch in ./data/demo,
# served on the local network until Ctrl-C.
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
# Then run the node: peer sync on the local network (discovery, live push, invites),
# until Ctrl-C. Other chitnode commands reach it meanwhile (docs/sync.md, "Serving").
exec .venv/bin/chitnode serve
