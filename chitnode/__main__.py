"""`python -m chitnode` is the `chitnode` command."""

from chitnode.cli.main import main

raise SystemExit(main())
