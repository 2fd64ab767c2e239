"""`python -m terms_compiler`: the `terms` command."""

from terms_compiler.cli import main

raise SystemExit(main())
