"""What every dialect shares, one module per job: the submit context and `build_job` (`context`), model
and pool choice (`models`), sampler choice (`samplers`), image inputs (`inputs`), field paths (`paths`),
request problems (`problems`) and what answers are made of (`answers`).

The names below are the package's public surface; import them from `sdapi.dialects.common`.
"""

from sdapi.dialects.common.answers import Outputs, OutputSource, WebhookEvent
from sdapi.dialects.common.context import (
    OUTPUTS_ROOT,
    RANDOM,
    SubmitContext,
    build_job,
    output_prefix,
    resolve_seed,
)
from sdapi.dialects.common.inputs import is_url, strip_data_url, strip_optional
from sdapi.dialects.common.models import (
    NO_MODEL,
    ModelChoice,
    choose_model,
    default_upscaler,
    first_of_family,
)
from sdapi.dialects.common.paths import (
    PathMapper,
    caller_paths,
    identity,
    loc_to_path,
    prefixed,
    remap,
    split_path,
)
from sdapi.dialects.common.problems import (
    invalid,
    parse,
    problems_from_validation,
    refuse_declared,
    route_validation_error,
    sub_model,
)
from sdapi.dialects.common.samplers import (
    AUTOMATIC,
    DEFAULT_SAMPLER,
    knob_fields,
    resolve_sampler,
    second_pass_sampler,
)

__all__ = [
    "AUTOMATIC",
    "DEFAULT_SAMPLER",
    "NO_MODEL",
    "OUTPUTS_ROOT",
    "RANDOM",
    "ModelChoice",
    "OutputSource",
    "Outputs",
    "PathMapper",
    "SubmitContext",
    "WebhookEvent",
    "build_job",
    "caller_paths",
    "choose_model",
    "default_upscaler",
    "first_of_family",
    "identity",
    "invalid",
    "is_url",
    "knob_fields",
    "loc_to_path",
    "output_prefix",
    "parse",
    "prefixed",
    "problems_from_validation",
    "refuse_declared",
    "remap",
    "resolve_sampler",
    "resolve_seed",
    "route_validation_error",
    "second_pass_sampler",
    "split_path",
    "strip_data_url",
    "strip_optional",
    "sub_model",
]
