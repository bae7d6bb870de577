#!/usr/bin/env bash
# Set up chitnode and run the app on an embedded default: a demo branch in ./data/demo,
# served on the local network until Ctrl-C. Open the printed laptop URL in this machine's
# browser (staff: the demo passphrase below); phones on the same Wi-Fi scan the QR.
# The demo key file is sealed with a demo passphrase; set CHITNODE_PASSPHRASE to choose yours.
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/setup
export CHITNODE_DATA=${CHITNODE_DATA:-$PWD/data/demo}
export CHITNODE_PASSPHRASE=${CHITNODE_PASSPHRASE:-chitnode-demo-passphrase}
export CHITNODE_KEYSTORE=${CHITNODE_KEYSTORE:-file}
export FLET_WEB_NO_CDN=1  # the app loads nothing from the internet (docs/app.md)
if [ -f "$CHITNODE_DATA/chitnode.db" ]; then
  .venv/bin/chitnode status
else
  .venv/bin/chitnode demo
  .venv/bin/python -m ui.demo "$CHITNODE_DATA"  # every demo member's app PIN, printed
fi
echo
echo "Staff screens: open the 'app' URL below in this machine's browser and unlock with"
echo "the passphrase \$CHITNODE_PASSPHRASE (the demo's: chitnode-demo-passphrase)."
echo "Members: scan the QR with a phone on the same Wi-Fi, then log in with a member number"
echo "and PIN (the demo's: 246810). The laptop's Phones screen shows a new QR per phone."
echo
# Then run the node: the app (laptop and phones), peer sync on the local network
# (discovery, live push, invites), until Ctrl-C. Other chitnode commands reach it
# meanwhile (docs/sync.md, "Serving").
exec .venv/bin/chitnode serve
