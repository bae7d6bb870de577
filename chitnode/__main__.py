"""`python -m chitnode` is the `chitnode` command."""

from chitnode.cli import main

raise SystemExit(main())
