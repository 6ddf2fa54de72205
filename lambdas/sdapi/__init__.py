"""sdapi: a self-hosted Stable Diffusion API on AWS.

`sdapi.schema` is the shared contract (pydantic only) that the Lambdas and the inference container both
import; everything else in this package is Lambda-side.
"""
