"""`python -m errormap.cli ...`: the same as the `errormap` command."""

from errormap.cli import main

raise SystemExit(main())
