#!/usr/bin/env bash
# Developer build: compiles minplus._core and puts it into python/minplus/ so that
# PYTHONPATH=python works without reinstalling. Users and CI install with `pip install .` instead.
# The module is linked under build/ and then renamed into place, so a process importing minplus
# meanwhile sees the old module or the new one, never a half-written file.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/inplace -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" \
  -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$PWD/build/inplace/lib" \
  -DMINPLUS_WITH_CUDA="${MINPLUS_WITH_CUDA:-AUTO}" >/dev/null
cmake --build build/inplace -j "$(nproc)"
for so in build/inplace/lib/_core*.so; do
  cp "$so" "python/minplus/.$(basename "$so").tmp"
  mv -f "python/minplus/.$(basename "$so").tmp" "python/minplus/$(basename "$so")"
done
