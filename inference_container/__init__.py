"""The SageMaker inference container: `serve` → `server.py` (`/ping`, `/invocations`) → `worker.py` (one job).

See README.md in this folder for the contract, the model root layout and what is (and is not) A1111-faithful.
"""
