"""CDK app: constructs per concern, the stack, typed configuration (see docs/configuration.md)."""
