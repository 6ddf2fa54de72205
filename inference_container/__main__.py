from inference_container.server import main

raise SystemExit(main())
