#!/usr/bin/env bash
# Developer build: compiles minplus._core into python/minplus/ so that PYTHONPATH=python works
# without reinstalling. Users and CI install with `pip install .` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/inplace -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" \
  -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$PWD/python/minplus" \
  -DMINPLUS_WITH_CUDA="${MINPLUS_WITH_CUDA:-AUTO}" >/dev/null
cmake --build build/inplace -j "$(nproc)"
