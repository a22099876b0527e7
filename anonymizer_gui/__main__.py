from anonymizer_gui.cli import main

raise SystemExit(main())
