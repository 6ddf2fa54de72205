"""The five dialects the API speaks, one package each (`native`, `runpod`, `a1111`, `v3`, `tasks`): request
models, request → canonical `Job`, record → every answer (sync, status, fetch, webhook body), error bodies
and (A1111) listings. `common` holds what they share; `registry` maps a path prefix (and a job's dialect) to
its dialect. Everything here is pure translation: no I/O, no clock, no randomness."""
