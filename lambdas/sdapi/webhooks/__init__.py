"""Webhooks: the queued message, bodies per dialect, Standard Webhooks signing, the retry policy and the
dispatcher that delivers one message (used by `sdapi.handlers.webhooks`)."""
