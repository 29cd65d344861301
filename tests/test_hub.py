"""Hub round trip over real HTTP against the local Hub-compatible server (tests/hub_server.py).

Push happens in one fresh process and loading in another with an empty cache, then offline from that cache.
"""

from __future__ import annotations

import json

from conftest import run_python

PUSH = """
import json, torch
from pix2pix_hub import PatchGANDiscriminator, Pix2PixGenerator
torch.manual_seed(0)
gen = Pix2PixGenerator(ngf=4, num_downs=5).eval()
disc = PatchGANDiscriminator(ndf=4, n_layers=2).eval()
x = torch.rand(1, 3, 64, 64) * 2 - 1
url = gen.push_to_hub("{repo}")
disc.push_to_hub("{repo}-discriminator")
with torch.no_grad():
    print(json.dumps({{"url": str(url), "gen": gen(x).flatten().tolist(), "disc": disc(x, x).flatten().tolist()}}))
"""

LOAD = """
import json, torch
from pix2pix_hub import PatchGANDiscriminator, Pix2PixGenerator
torch.manual_seed(0)
Pix2PixGenerator(ngf=4, num_downs=5), PatchGANDiscriminator(ndf=4, n_layers=2)  # same RNG draws as the pusher
x = torch.rand(1, 3, 64, 64) * 2 - 1
gen = Pix2PixGenerator.from_pretrained("{repo}")
disc = PatchGANDiscriminator.from_pretrained("{repo}-discriminator")
with torch.no_grad():
    print(json.dumps({{"gen": gen(x).flatten().tolist(), "disc": disc(x, x).flatten().tolist()}}))
"""


def test_push_then_load_in_fresh_processes_and_offline_gives_identical_outputs(hub_env):
    pushed = run_python(PUSH.format(repo="lab/facades-tiny"), hub_env)
    assert "/lab/facades-tiny/commit/" in pushed["url"]
    loaded = run_python(LOAD.format(repo="lab/facades-tiny"), hub_env)
    assert loaded["gen"] == pushed["gen"] and loaded["disc"] == pushed["disc"]
    offline = run_python(LOAD.format(repo="lab/facades-tiny"), {**hub_env, "HF_HUB_OFFLINE": "1"})
    assert offline["gen"] == pushed["gen"]


def test_pushed_repo_holds_safetensors_config_and_card(hub_env, hub_server):
    run_python(PUSH.format(repo="lab/files"), hub_env)
    code = (
        "import json; from huggingface_hub import HfApi, ModelCard; "
        "files = sorted(s.rfilename for s in HfApi().model_info('lab/files').siblings); "
        "card = ModelCard.load('lab/files'); "
        "print(json.dumps({'files': files, 'tag': card.data.pipeline_tag, 'lib': card.data.library_name}))"
    )
    info = run_python(code, hub_env)
    assert {"config.json", "model.safetensors", "README.md"} <= set(info["files"])
    assert info["tag"] == "image-to-image" and info["lib"] == "pix2pix_hub"


def test_unknown_repo_and_offline_miss_give_clear_errors(hub_env):
    code = """
import json
from pix2pix_hub import Pix2PixGenerator, Pix2PixHubError
try:
    Pix2PixGenerator.from_pretrained("lab/never-pushed")
except Pix2PixHubError as exc:
    print(json.dumps({"error": str(exc)}))
"""
    online = run_python(code, hub_env)
    offline = run_python(code, {**hub_env, "HF_HUB_OFFLINE": "1"})
    assert "lab/never-pushed" in online["error"]
    assert "not in the local cache" in offline["error"] and "offline mode is on" in offline["error"]
    assert json.dumps(offline)  # a plain message, not a traceback
