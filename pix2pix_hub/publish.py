"""Publishing the zoo on the Hub: every zoo folder to `<namespace>/<task>` (with its ONNX files, made first where
missing) and the zoo's collection (the paper, the models, the Space)."""

from __future__ import annotations

from huggingface_hub import HfApi

from .errors import Pix2PixHubError
from .metadata import ARXIV_ID, COLLECTION_TITLE
from .tasks import get_task
from .web_export import export_task
from .zoo import TASKS_SUMMARY, ZOO_FILES, zoo_tasks


def push_zoo(
    namespace: str, tasks: list[str] | None = None, private: bool = False, token: str | None = None
) -> dict[str, str]:
    """Upload each zoo folder (or those of `tasks`) to `<namespace>/<task>` with its onnx/ files (made first where
    missing or stale, `web_export.export_task`); returns task -> repo URL."""
    selected = [get_task(name) for name in tasks] if tasks else zoo_tasks()
    missing = [task.name for task in selected if not task.bundled]
    if missing:
        raise Pix2PixHubError(
            f"no zoo model for {', '.join(missing)} in {selected[0].zoo_dir.parent}; train it with "
            "train/zoo/train_task.sh TASK, or leave it out of --tasks."
        )
    if not selected:
        raise Pix2PixHubError("the zoo is empty: train a model with train/zoo/train_task.sh TASK first.")
    api = HfApi(token=token)
    urls = {}
    for task in selected:
        repo_id = f"{namespace}/{task.name}"
        export_task(task)
        api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            folder_path=task.zoo_dir,
            allow_patterns=list(ZOO_FILES),
            commit_message=f"pix2pix_hub zoo: {task.name}",
        )
        urls[task.name] = f"{api.endpoint}/{repo_id}"
    return urls


def push_collection(
    namespace: str,
    tasks: list[str] | None = None,
    space_id: str | None = None,
    private: bool = False,
    token: str | None = None,
) -> str:
    """Build (or update) the Hub collection of the zoo in `namespace`: the paper, each zoo model (`<namespace>/<task>`,
    noted with its task's description) and, given `space_id`, the Space; items already there are kept. Returns its
    URL."""
    api = HfApi(token=token)
    selected = [get_task(name) for name in tasks] if tasks else zoo_tasks()
    collection = api.create_collection(
        COLLECTION_TITLE, namespace=namespace, description=TASKS_SUMMARY, private=private, exists_ok=True
    )
    items = [("paper", ARXIV_ID, "Isola et al., CVPR 2017")]
    items += [("model", f"{namespace}/{task.name}", task.description) for task in selected]
    items += [("space", space_id, "every task of the paper, drawn in the browser")] if space_id else []
    for kind, item_id, note in items:
        collection = api.add_collection_item(collection.slug, item_id, kind, note=note, exists_ok=True)
    return collection.url
