"""The dataset registry: every paired dataset of the paper, with which half is the photo, its evaluation split, what
it shows, its terms, its reference and how long the paper trained on it.

Tasks (`pix2pix_hub.tasks`) name these datasets; cards, evaluation, drawing and the zoo read their facts from here.
Kept free of heavy imports: `pix2pix-hub tasks` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .metadata import HUB_NAMESPACE


@dataclass(frozen=True)
class PairedDataset:
    """One pix2pix side-by-side (A|B) dataset folder."""

    name: str
    #: "A" or "B": the half holding the photo, which derived tasks (colorization, inpainting) train towards
    photo_half: str
    #: what the photo half shows, for cards ("facade photos")
    photos: str
    #: what drawn examples of this data show: "buildings", "streets", "aerial", "shoe" or "handbag"
    subject: str
    #: where the data comes from, for dataset cards
    reference: str
    #: its terms of use, for model cards
    terms: str
    #: how long the paper trained on it (its appendix 6.2)
    paper_training: str
    #: the split evaluation reads ("val" unless the release has none)
    eval_split: str = "val"
    #: whether its terms forbid commercial use (a model trained on it carries `NON_COMMERCIAL_LICENSE`)
    non_commercial: bool = False

    @property
    def hub_id(self) -> str:
        """The Hub dataset repo the project publishes this data as (`pix2pix-hub prepare-dataset NAME -o OUT
        --push-to-hub pix2pix-hub/NAME`); model cards name it under `datasets:`."""
        return f"{HUB_NAMESPACE}/{self.name}"

    @property
    def photo_direction(self) -> str:
        """The direction whose target is the photo half."""
        return "BtoA" if self.photo_half == "A" else "AtoB"


#: the card licence of a model or dataset bound by non-commercial terms
NON_COMMERCIAL_LICENSE = {"license": "other", "license_name": "non-commercial-training-data"}

DATASETS: dict[str, PairedDataset] = {
    d.name: d
    for d in [
        PairedDataset(
            "facades",
            photo_half="A",
            photos="facade photos",
            subject="buildings",
            reference='R. Tyleček and R. Šára, "Spatial Pattern Templates for Recognition of Objects with Regular '
            'Structure", GCPR 2013 (CMP Facades)',
            terms="CMP Facade Database (Tylecek and Sara, GCPR 2013): follow its release terms.",
            paper_training="200 epochs on all 400 facades pairs, batch 1",
            eval_split="test",
        ),
        PairedDataset(
            "cityscapes",
            photo_half="A",
            photos="street photos",
            subject="streets",
            reference='M. Cordts et al., "The Cityscapes Dataset for Semantic Urban Scene Understanding", CVPR 2016',
            terms="Cityscapes (Cordts et al., CVPR 2016): **non-commercial use only** under its terms of use.",
            paper_training="200 epochs on all 2975 cityscapes pairs, batch 1",
            non_commercial=True,
        ),
        PairedDataset(
            "maps",
            photo_half="A",
            photos="aerial photos",
            subject="aerial",
            reference="aerial photos and map tiles of New York City from Google Maps, collected by Isola et al. "
            "(CVPR 2017)",
            terms="Google Maps imagery of New York City scraped by the pix2pix authors: covered by Google's terms; "
            "**non-commercial research use only**.",
            paper_training="200 epochs on all 1096 maps pairs, batch 1",
            non_commercial=True,
        ),
        PairedDataset(
            "edges2shoes",
            photo_half="B",
            photos="shoe photos",
            subject="shoe",
            reference='A. Yu and K. Grauman, "Fine-Grained Visual Comparisons with Local Learning", CVPR 2014 '
            "(UT Zappos50K); edges by HED, as in Isola et al. (CVPR 2017)",
            terms="UT Zappos50K (Yu and Grauman, CVPR 2014) photos with HED edges by the pix2pix authors: "
            "research use.",
            paper_training="15 epochs on all 50k edges2shoes pairs, batch 4",
        ),
        PairedDataset(
            "edges2handbags",
            photo_half="B",
            photos="handbag photos",
            subject="handbag",
            reference='J.-Y. Zhu et al., "Generative Visual Manipulation on the Natural Image Manifold", ECCV 2016 '
            "(iGAN handbags); edges by HED, as in Isola et al. (CVPR 2017)",
            terms="Amazon handbag photos collected for iGAN (Zhu et al., ECCV 2016) with HED edges by the pix2pix "
            "authors: research use.",
            paper_training="15 epochs on all 137k edges2handbags pairs, batch 4",
        ),
    ]
}


def eval_split_of(dataset: str) -> str:
    """The split a dataset folder is evaluated on ("val" for folders the registry does not know)."""
    return DATASETS[dataset].eval_split if dataset in DATASETS else "val"


def is_non_commercial(names: set[str] | frozenset[str] | tuple[str, ...]) -> bool:
    """Whether any of the named datasets forbids commercial use."""
    return any(DATASETS[name].non_commercial for name in names if name in DATASETS)
