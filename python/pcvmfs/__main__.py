"""``python -m pcvmfs``: the command line."""

from pcvmfs.cli import main

raise SystemExit(main())
