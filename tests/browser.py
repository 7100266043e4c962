"""Open an HTML file in headless Chromium (Debian's package) and report what the page saw.

The page is loaded from a copy with a probe script injected first in <head>: it records script
errors and console.error calls from the start, and on load writes a JSON verdict (every image's
natural size, the errors, the <script> elements present, horizontal overflow) into a <pre> that
``--dump-dom`` prints. Chromium's own stderr is also searched for uncaught errors.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from needs import missing

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PROBE_ID = "minplus-browser-probe"
PROBE = """<script id="%s-script">
window.__probeErrors = [];
window.addEventListener("error", function (e) {
  var what = e.target && (e.target.src || e.target.tagName);
  window.__probeErrors.push(String(e.message || ("failed to load " + what)));
}, true);
(function () {
  var ce = console.error;
  console.error = function () {
    window.__probeErrors.push(Array.prototype.join.call(arguments, " "));
    ce.apply(console, arguments);
  };
})();
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {alt: i.alt, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight,
            src: i.src.slice(0, 30)};
  });
  var scripts = Array.prototype.filter.call(document.scripts, function (s) {
    return s.id !== "%s-script";
  });
  var out = document.createElement("pre"); out.id = "%s";
  out.textContent = JSON.stringify({images: imgs, errors: window.__probeErrors,
    scripts: scripts.map(function (s) { return s.outerHTML.slice(0, 80); }),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    text: document.body.innerText});
  document.body.appendChild(out);
});
</script>""" % (PROBE_ID, PROBE_ID, PROBE_ID)


def chromium() -> str:
    """Path of the chromium binary. Without one: skip locally, fail in CI (CI=true)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    missing("headless Chromium is missing: install Debian's package with "
            "`apt-get install -y chromium` (.ci/run does this)")


def _run(args: list[str], profile: Path, timeout: float = 90.0) -> subprocess.CompletedProcess:
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=10000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def probe_page(html: Path, workdir: Path, width: int = 1200, height: int = 900) -> dict:
    """Load ``html`` (with the probe injected) at the given window size; returns the verdict:
    images, errors (page and Chromium's stderr), scripts (other than the probe), overflow (px
    of horizontal scroll), text (the page's visible text)."""
    page = workdir / f"probed-{html.name}"
    source = html.read_text("utf-8")
    head = source.index("<head>") + len("<head>")
    page.write_text(source[:head] + PROBE + source[head:], "utf-8")
    proc = _run(["--dump-dom", f"--window-size={width},{height}", page.as_uri()],
                workdir / "profile-probe")
    found = re.search(rf'<pre id="{PROBE_ID}">(.*?)</pre>', proc.stdout, re.S)
    if not found:
        raise AssertionError(f"chromium printed no probe result (exit {proc.returncode}); "
                             f"stderr tail: {proc.stderr[-2000:]}")
    import html as html_lib

    verdict = json.loads(html_lib.unescape(found.group(1)))
    verdict["errors"] += [line for line in proc.stderr.splitlines()
                          if "Uncaught" in line or ("CONSOLE" in line and "rror" in line)]
    return verdict


def screenshot(html: Path, png: Path, workdir: Path, width: int, height: int) -> Path:
    """Save a screenshot of ``html`` at the given window size to ``png``."""
    png.parent.mkdir(parents=True, exist_ok=True)
    proc = _run(["--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png}",
                 html.as_uri()], workdir / f"profile-shot-{width}")
    if not png.exists() or png.stat().st_size == 0:
        raise AssertionError(f"chromium wrote no screenshot (exit {proc.returncode}); "
                             f"stderr tail: {proc.stderr[-2000:]}")
    return png
