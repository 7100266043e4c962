"""pytest-benchmark suite for the region parsers (parse once per image: seconds, not throughput).

Run: python -m pytest benchmarks/bench_regions.py --benchmark-enable
"""

import matplotlib.cbook
import matplotlib.image
import pytest
from skimage import data

from minplus import parse_regions
from minplus.regions import detect_faces, face_labels


@pytest.fixture(scope="module")
def photos():
    grace = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))
    return {"grace_600x512": grace, "astronaut_512x512": data.astronaut()}


@pytest.fixture(scope="module")
def chip(photos):
    return parse_regions(photos["grace_600x512"], "fine")


@pytest.mark.parametrize("who", ["grace_600x512", "astronaut_512x512"])
def test_parse_face68_coarse(benchmark, photos, who):
    parse_regions(photos[who])  # load and cache the dlib models outside the timing
    benchmark(parse_regions, photos[who], "coarse")


def test_detect_faces_only(benchmark, photos):
    benchmark(detect_faces, photos["grace_600x512"])


@pytest.mark.parametrize("granularity", ["coarse", "fine"])
def test_face_labels_256(benchmark, chip, granularity):
    benchmark(face_labels, chip.landmarks, (256, 256), granularity)


def test_grid_8x8_256(benchmark, chip):
    benchmark(parse_regions, chip.image, "grid:8x8")


def test_slic_32_256(benchmark, chip):
    benchmark(parse_regions, chip.image, "slic:32")


def test_render_256(benchmark, chip):
    benchmark(chip.regions.render, chip.image)


def test_json_round_trip_256(benchmark, chip):
    from minplus import RegionMap

    benchmark(lambda: RegionMap.from_dict(chip.regions.to_dict()))
