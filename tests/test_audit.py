"""Audits of real dataset runs (minplus.run over jittered copies of the shipped faces), with
planted models whose global reliance is known: mouth only; mouth and eyes; mouth or eyes by a
group the model sees in the image's background."""

import numpy as np
import pytest

import minplus
from minplus.audit import AuditError, canonical_map, compare, dataset_report, summarise
from minplus.demo import sample_faces
from minplus.models.decision import Decision

# Boxes of the 256 px face68 chip that lie inside the mouth and the (subject's left) eye
# region of every jittered face below (checked by test_planted_boxes_lie_in_their_regions).
MOUTH = (slice(172, 178), slice(114, 134))
EYE = (slice(99, 104), slice(157, 173))
JITTERS = 8


def jitter(image, k):
    import cv2

    rng = np.random.default_rng(k)
    dx, dy = rng.integers(-12, 13, 2)
    s, b = rng.uniform(0.9, 1.05), rng.uniform(0.85, 1.15)
    out = cv2.warpAffine(image, np.float32([[s, 0, dx], [0, s, dy]]),
                         (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REFLECT)
    if k % 2:
        out = np.ascontiguousarray(out[:, ::-1])
    return np.clip(out * b, 0, 255).astype(np.uint8)


def sharpness(images, box):
    g = images[:, box[0], box[1]].astype(np.float32).mean(-1)
    return np.abs(np.diff(g, axis=2)).mean(axis=(1, 2))


def mouth_and_eye(images):
    """Scores (B, 2): how sharp the mouth and the eye are (the blur baseline flattens them)."""
    return np.stack([sharpness(images, MOUTH), sharpness(images, EYE)], axis=1)


def by_background(images):
    """Looks at the mouth on a dark background (Hopper's photos), at the eye on a light one."""
    dark = images[:, :16, :16].mean(axis=(1, 2, 3)) < 145  # context: never masked
    s = np.where(dark, sharpness(images, MOUTH), sharpness(images, EYE))
    return np.stack([s, s], axis=1)


class StaysSharp(Decision):
    """Preserved while each watched score keeps half of its unmasked value."""

    def __init__(self, columns):
        self.columns = list(columns)

    def preserved(self, scores):
        return (scores[:, self.columns] >= 0.5 * self.original[self.columns]).all(axis=1)


def items(seeds):
    faces = sample_faces()
    return [(f"{who}-{k}", jitter(faces[who], k), {"who": who})
            for who in ("hopper", "astronaut") for k in seeds]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    first, second = items(range(JITTERS)), items(range(JITTERS, 2 * JITTERS))

    def go(name, data, model, columns, methods=()):
        minplus.run(data, model, StaysSharp(columns), out=str(root / name), regions="face68",
                    methods=list(methods), progress=False)
        return str(root / name)

    return {"mouth": go("mouth", first, mouth_and_eye, [0], ["region-occlusion"]),
            "mouth_again": go("mouth_again", second, mouth_and_eye, [0], ["region-occlusion"]),
            "both": go("both", first, mouth_and_eye, [0, 1], ["region-occlusion"]),
            "group": go("group", first, by_background, [0])}


def test_planted_boxes_lie_in_their_regions():
    for _, image, _ in items(range(2 * JITTERS)):
        p = minplus.parse_regions(image, "face68")
        lab, names = p.regions.labels, p.regions.names
        assert (lab[MOUTH] == names.index("mouth")).all()
        assert (lab[EYE] == names.index("eyes")).all()
        assert (lab[:16, :16] == -1).all()


def test_summarise_finds_the_mouth(runs):
    s = summarise(runs["mouth"])
    assert s.images == 2 * JITTERS and s.errors == 0
    assert s.top("min_plus") == "mouth" and s.top("min_minus") == "mouth"
    for r in s.reliance:
        want = 1.0 if r.region == "mouth" else 0.0
        assert r.min_plus[0] == want and r.min_minus[0] == want
        assert r.min_plus[1] <= want <= r.min_plus[2]  # inside its Wilson interval
    assert s.common_sets["min_plus"][0] == (("mouth",), 2 * JITTERS)
    occl = dict((reg, mean) for reg, mean, lo, hi in s.methods["region-occlusion"])
    assert max(occl, key=occl.get) == "mouth"


def test_group_test_finds_the_planted_difference_and_nothing_else(runs):
    s = summarise(runs["group"], by="who")
    assert s.groups.groups == ["astronaut", "hopper"] and s.groups.sizes == [JITTERS, JITTERS]
    assert set(s.groups.flagged) == {(k, r) for k in ("min_plus", "min_minus")
                                     for r in ("eyes", "mouth")}


def test_group_test_false_positive_rate_within_its_level(runs):
    """Random group labels over a model without groups: the Holm-corrected table flags a
    family in at most about alpha of the seeded repeats."""
    rows = minplus.audit.load_rows(runs["mouth"])
    flagged = 0
    for seed in range(20):
        labels = np.random.default_rng(seed).permutation([0, 1] * JITTERS)
        for r, g in zip(rows.rows, labels):
            r["meta_random"] = int(g)
        flagged += bool(summarise(rows, by="random", seed=seed).groups.flagged)
    assert flagged <= 3  # nominal 5% of 20 is 1; 3 bounds a binomial(20, 0.05) at p < 0.08


def test_compare_flags_the_eyes_and_only_the_eyes(runs):
    d = compare(runs["both"], runs["mouth"])
    assert d.flagged_regions == ["eyes"]
    assert "eyes" in d.verdict() and "mouth" not in d.verdict()


def test_two_samples_of_the_same_data_flag_nothing(runs):
    d = compare(runs["mouth"], runs["mouth_again"])
    assert d.flagged == [] and d.verdict().startswith("No drift")
    assert all(not v["flagged"] for v in d.ranking.values())


def test_canonical_map_of_the_mouth_model_peaks_in_the_canonical_mouth(runs):
    m = canonical_map(runs["mouth"], "min_plus")
    assert m.images == 2 * JITTERS and m.peak_region() == "mouth"
    assert m.region_means()["mouth"] > 0.9 and m.region_means()["eyes"] < 0.05
    face = minplus.parse_regions(sample_faces()["astronaut"], "face68")
    back = m.on_face(face.landmarks, face.image.shape[:2])
    assert back.shape == face.image.shape[:2] and back.max() > 0.9
    occl = canonical_map(runs["mouth"], "region-occlusion")
    assert occl.peak_region() == "mouth"
    groups = [canonical_map(runs["group"], "min_plus", by="who", group=g).peak_region()
              for g in ("hopper", "astronaut")]
    assert groups == ["mouth", "eyes"]


def test_audits_refuse_what_they_cannot_do(runs, tmp_path):
    with pytest.raises(AuditError, match="no run"):
        summarise(tmp_path / "missing")
    with pytest.raises(AuditError, match="one group"):
        summarise(runs["mouth"], by="model")
    with pytest.raises(AuditError, match="unknown measure"):
        canonical_map(runs["mouth"], "lime")


def test_dataset_report_is_self_contained_and_renders(runs, tmp_path):
    import re

    from browser import probe_page

    path = tmp_path / "audit.html"
    page = dataset_report(runs["group"], path=str(path), compare_to=runs["mouth"], by="who")
    urls = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert urls and all(u.startswith("data:image/png;base64,") for u in urls)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert not re.search(r"https?:|@import|url\(|<script", text, re.I)
    for heading in ("Reliance", "Canonical maps", "Groups", "Drift against run B",
                    "Surprising cases", "Methodology and model card"):
        assert heading in page
    seen = probe_page(path, tmp_path, width=390, height=844)
    assert seen["errors"] == [] and seen["overflow"] <= 0
