from platecheck.cli import main

raise SystemExit(main())
