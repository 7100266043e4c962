"""A plain numpy statement of the fused-masking contract (masking.hpp), for the property tests."""

import numpy as np


def to_layout(x, layout, dtype, scale, mean, std, soft):
    if layout == "hwc":
        return x.astype(np.float32) if soft else x
    f = (x.astype(np.float32) * np.float32(scale) - np.asarray(mean, np.float32)) \
        / np.asarray(std, np.float32)
    f = f.transpose(2, 0, 1)
    return f if soft else f.astype(dtype)


def reference_render(image, baseline, labels, masks, context_keep, layout="hwc", dtype=None,
                     scale=1.0, mean=0.0, std=1.0, weights=None):
    C = image.shape[2]
    mean = np.broadcast_to(np.asarray(mean, np.float64), (C,))
    std = np.broadcast_to(np.asarray(std, np.float64), (C,))
    out_dtype = image.dtype if layout == "hwc" else np.dtype(dtype or np.float32)
    soft = weights is not None
    img = to_layout(image, layout, out_dtype, scale, mean, std, soft)
    base = to_layout(baseline, layout, out_dtype, scale, mean, std, soft)
    outs = []
    for m in np.asarray(masks, np.uint64).tolist():
        if not soft:
            bits = np.array([(m >> r) & 1 for r in range(64)], bool)
            keep = np.where(labels < 0, context_keep, bits[np.maximum(labels, 0)])
            k = keep[:, :, None] if layout == "hwc" else keep[None]
            outs.append(np.where(k, img, base))
            continue
        kept = np.zeros(labels.shape, np.float32)
        total = np.zeros(labels.shape, np.float32)
        for r in range(len(weights)):
            total = total + weights[r]
            if (m >> r) & 1:
                kept = kept + weights[r]
        ctx = np.maximum(np.float32(1) - total, np.float32(0))
        alpha = np.clip(kept + (ctx if context_keep else np.float32(0)), 0, 1).astype(np.float32)
        a = alpha[:, :, None] if layout == "hwc" else alpha[None]
        v = base + a * (img - base)
        if out_dtype == np.uint8:
            v = np.clip(np.rint(v), 0, 255)
        outs.append(v.astype(out_dtype))
    return np.stack(outs)
