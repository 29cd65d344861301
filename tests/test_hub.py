"""Hub round trip over real HTTP against the local Hub-compatible server (tests/hub_server.py).

Push happens in one fresh process and loading in another with an empty cache, then offline from that cache.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT, run_python

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


def test_zoo_repo_id_falls_back_to_its_bundled_folder_when_the_hub_cannot_be_reached(hub_env):
    """`from_pretrained("pix2pix-hub/edges2shoes")`, as every zoo card's snippet shows it, works offline with an
    empty cache: the same model is bundled in model_zoo/edges2shoes, loaded with a one-line notice."""
    code = """
import json, torch
from safetensors.torch import load_file
from pix2pix_hub import Pix2PixGenerator
from pix2pix_hub.tasks import TASKS
gen = Pix2PixGenerator.from_pretrained("pix2pix-hub/edges2shoes")
bundled = load_file(TASKS["edges2shoes"].zoo_dir / "model.safetensors")
print(json.dumps({"same": all(torch.equal(v, bundled[k].float()) for k, v in gen.state_dict().items())}))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **hub_env, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == {"same": True}
    notices = [line for line in proc.stderr.splitlines() if "pix2pix-hub/edges2shoes" in line]
    assert len(notices) == 1 and "the Hub cannot be reached; using the same model bundled in" in notices[0]
    assert "model_zoo/edges2shoes" in notices[0]


def test_mistyped_task_name_gets_a_did_you_mean(hub_env):
    code = """
import json
from pix2pix_hub import Pix2PixHubError, Pix2PixPipeline
errors = []
for name in ("facades-label2photo", "pix2pix-hub/edges2shoe"):
    try:
        Pix2PixPipeline.from_pretrained(name)
    except Pix2PixHubError as exc:
        errors.append(str(exc))
print(json.dumps(errors))
"""
    typo, typo_repo = run_python(code, {**hub_env, "HF_HUB_OFFLINE": "1"})
    assert "Did you mean 'facades-labels2photo'?" in typo and "cannot be reached" not in typo
    assert "Did you mean pix2pix-hub/edges2shoes (task 'edges2shoes')?" in typo_repo


def test_model_classes_take_task_names_from_any_working_directory(tmp_path, monkeypatch):
    """`Pix2PixGenerator.from_pretrained("<task>")` loads the bundled model, as the pipeline does; a task without a
    bundled discriminator says so instead of suggesting the name that was typed."""
    from pix2pix_hub import PatchGANDiscriminator, Pix2PixGenerator, Pix2PixHubError
    from pix2pix_hub.tasks import TASKS

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    parameters = inspect.signature(Pix2PixGenerator.__init__).parameters.values()
    defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    for task in (t for t in TASKS.values() if t.bundled):
        generator = Pix2PixGenerator.from_pretrained(task.name)
        # the folder's config, with the defaults of options newer than it (as the Hub mixin fills them in)
        expected = {**defaults, **json.loads((task.zoo_dir / "config.json").read_text())}
        assert generator._hub_mixin_config == expected, task.name
        if (task.zoo_dir / "discriminator" / "config.json").is_file():
            assert isinstance(PatchGANDiscriminator.from_pretrained(task.name), PatchGANDiscriminator)
        else:
            with pytest.raises(Pix2PixHubError, match="ships no discriminator") as error:
                PatchGANDiscriminator.from_pretrained(task.name)
            assert "Did you mean" not in str(error.value)
    with pytest.raises(Pix2PixHubError, match="Did you mean 'edges2shoes'") as error:
        Pix2PixGenerator.from_pretrained("edges2shoe")
    assert "'edges2shoe'?" not in str(error.value)
