from collector_server.cli import main

raise SystemExit(main())
