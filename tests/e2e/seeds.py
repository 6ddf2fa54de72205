"""The seed requests (shared/seeds/000-004) as written, with the placeholder images replaced by real ones."""

from __future__ import annotations

import copy
from typing import Any

_SDXL_OVERRIDES = {"sd_model_checkpoint": "sd_xl_base_1.0", "sd_vae": "sdxl_vae.safetensors"}

SEED_000_IMG2IMG: dict[str, Any] = {
    "input": {
        "api": {"method": "POST", "endpoint": "/sdapi/v1/img2img"},
        "payload": {
            "init_images": ["<image>"],
            "override_settings": dict(_SDXL_OVERRIDES),
            "override_settings_restore_afterwards": True,
            "refiner_checkpoint": "sd_xl_refiner_1.0",
            "refiner_switch_at": 0.8,
            "prompt": "at the ocean",
            "negative_prompt": "",
            "seed": -1,
            "batch_size": 1,
            "denoising_strength": 0.75,
            "steps": 30,
            "cfg_scale": 10,
            "width": 1024,
            "height": 1024,
            "sampler_name": "DPM++ SDE",
            "sampler_index": "DPM++ SDE",
            "scheduler": "karras",
            "restore_faces": True,
        },
    }
}

SEED_001_CONTROLNET: dict[str, Any] = {
    "input": {
        "api": {"method": "POST", "endpoint": "/sdapi/v1/img2img"},
        "payload": {
            "init_images": ["<image>"],
            "override_settings": dict(_SDXL_OVERRIDES),
            "override_settings_restore_afterwards": True,
            "refiner_checkpoint": "sd_xl_refiner_1.0",
            "refiner_switch_at": 0.8,
            "prompt": "an astronaut riding a horse",
            "negative_prompt": "",
            "seed": -1,
            "batch_size": 1,
            "denoising_strength": 0.75,
            "steps": 30,
            "cfg_scale": 7,
            "width": 480,
            "height": 640,
            "sampler_name": "DPM++ SDE",
            "sampler_index": "DPM++ SDE",
            "scheduler": "karras",
            "restore_faces": False,
            "alwayson_scripts": {
                "controlnet": {
                    "args": [
                        {
                            "module": "canny",
                            "model": "control_v11p_sd15_canny",
                            "weight": 1,
                            "resize_mode": "Crop and Resize",
                            "lowvram": False,
                            "processor_res": 512,
                            "threshold_a": 75,
                            "threshold_b": 75,
                            "guidance": 1,
                            "guidance_start": 0,
                            "guidance_end": 1,
                            "control_mode": "Balanced",
                            "pixel_perfect": False,
                        }
                    ]
                }
            },
        },
    }
}

SEED_002_TXT2IMG: dict[str, Any] = {
    "input": {
        "api": {"method": "POST", "endpoint": "/sdapi/v1/txt2img"},
        "payload": {
            "override_settings": dict(_SDXL_OVERRIDES),
            "override_settings_restore_afterwards": True,
            "refiner_checkpoint": "sd_xl_refiner_1.0",
            "refiner_switch_at": 0.8,
            "prompt": "an astronaut riding a horse",
            "negative_prompt": "",
            "seed": -1,
            "batch_size": 1,
            "steps": 30,
            "cfg_scale": 7,
            "width": 1024,
            "height": 1024,
            "sampler_name": "DPM++ SDE",
            "sampler_index": "DPM++ SDE",
            "scheduler": "karras",
            "restore_faces": False,
        },
    }
}

SEED_003_V3_IMG2IMG: dict[str, Any] = {
    "key": "",
    "prompt": "a cat sitting on a bench",
    "negative_prompt": None,
    "init_image": "<url>",
    "width": "512",
    "height": "512",
    "samples": "1",
    "num_inference_steps": "30",
    "safety_checker": "no",
    "enhance_prompt": "yes",
    "guidance_scale": 7.5,
    "strength": 0.7,
    "seed": None,
    "base64": "no",
    "webhook": None,
    "track_id": None,
}

SEED_004_TASK: dict[str, Any] = {
    "task": {
        "metadata": {
            "id": "test-i2i",
            "runtime": "sdruntime",
            "tasktype": "image-to-image",
            "prefix": "output",
            "context": "",
        },
        "content": {
            "alwayson_scripts": {"image_link": "<url>"},
            "prompt": (
                "cat wizard, gandalf, lord of the rings, detailed, fantasy, cute, adorable, Pixar, Disney, 8k"
            ),
            "steps": 16,
            "width": 512,
            "height": 512,
        },
    }
}


def with_image(seed: dict[str, Any], image_b64: str) -> dict[str, Any]:
    request = copy.deepcopy(seed)
    request["input"]["payload"]["init_images"] = [image_b64]
    return request
