"""Notebook cards: Explanation and SaliencyMap show inline, self-contained and escaped."""

import re
from html import escape as html_escape

import numpy as np

import minplus
from minplus.models import Threshold
from minplus.saliency import region_occlusion


def _explanation():
    img = np.zeros((16, 16, 3), np.uint8)
    img[:8] = 200
    labels = np.repeat(np.arange(2), 128).reshape(16, 16).astype(np.int32)
    regions = minplus.RegionMap(labels, ["<b>top</b>", "bottom & co"])
    return img, regions, minplus.explain(img, lambda x: x.mean(axis=(1, 2, 3)), Threshold(50.0),
                                         regions=regions, baseline="black", progress=False)


def _self_contained(html):
    urls = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert urls and all(u.startswith("data:image/png;base64,") for u in urls)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert not re.search(r"https?:|@import|url\(|<script", text, re.I)
    return urls


def test_explanation_card_is_self_contained_escaped_and_complete():
    _, _, e = _explanation()
    html = e._repr_html_()
    assert len(_self_contained(html)) == 4  # original, regions, Min+, Min-
    assert "<b>top</b>" not in html and "&lt;b&gt;top&lt;/b&gt;" in html
    assert "bottom &amp; co" in html
    assert html_escape(e.summary()) in html
    assert e._repr_png_()[:4] == b"\x89PNG"


def test_saliency_card():
    img, regions, e = _explanation()
    m = region_occlusion(lambda x: x.mean(axis=(1, 2, 3)), img, 0, regions=regions,
                         progress=False)
    html = m._repr_html_()
    assert len(_self_contained(html)) == 1
    assert "&lt;b&gt;top&lt;/b&gt;" in html and "<b>top" not in html
    assert m._repr_png_()[:4] == b"\x89PNG"
