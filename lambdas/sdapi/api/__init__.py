"""The api Lambda's routing: one Powertools router per dialect, shared wiring (dependencies, auth,
submission, error rendering). `sdapi.handlers.api` composes them into the resolver."""
