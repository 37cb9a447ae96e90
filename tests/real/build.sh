#!/usr/bin/env bash
# Builds the real IOWarp Chimaera runtime (cte-hermes-shm, then
# iowarp-runtime) from the source archives in SRC (../shared/third_party
# beside the checkout) into OUT (build/real), outside the source tree.
# Rebuilt only when the archives change: OUT/stamp holds their checksums.
# Exit 0: OUT/prefix/bin/chimaera_start_runtime is ready; 77: no archives
# (the reason on stdout); anything else: the build failed (its log shown).
#
#   bash tests/real/build.sh SRC OUT [JOBS]
set -euo pipefail
src=$1 out=$2 jobs=${3:-2}
shm_tgz=$(ls "$src"/cte-hermes-shm-*.tar.gz 2>/dev/null | head -n 1 || true)
chi_tgz=$(ls "$src"/iowarp-runtime-*.tar.gz 2>/dev/null | head -n 1 || true)
if [ -z "$shm_tgz" ] || [ -z "$chi_tgz" ]; then
    echo "no real runtime sources (cte-hermes-shm-*.tar.gz, iowarp-runtime-*.tar.gz) in $src"
    exit 77
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
prefix=$out/prefix
sums=$(cd "$(dirname "$shm_tgz")" && sha256sum "$(basename "$shm_tgz")" "$(basename "$chi_tgz")")
if [ -x "$prefix/bin/chimaera_start_runtime" ] && [ -f "$out/stamp" ] &&
   [ "$(cat "$out/stamp")" = "$sums" ]; then
    echo "real runtime up to date in $prefix"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sh "$(dirname "$0")/../deps.sh" cmake g++ libyaml-cpp-dev libzmq3-dev libcereal-dev \
        libboost-fiber-dev libboost-context-dev libboost-system-dev
fi
rm -rf "$out/src" "$out/obj" "$prefix" "$out/stamp"
mkdir -p "$out/src/shm" "$out/src/chi" "$out/obj"
tar -xzf "$shm_tgz" -C "$out/src/shm"
tar -xzf "$chi_tgz" -C "$out/src/chi"
shm_dir=$(dirname "$(ls "$out"/src/shm/*/CMakeLists.txt "$out"/src/shm/CMakeLists.txt 2>/dev/null | head -n 1)")
chi_dir=$(dirname "$(ls "$out"/src/chi/*/CMakeLists.txt "$out"/src/chi/CMakeLists.txt 2>/dev/null | head -n 1)")
log=$out/build.log
: >"$log"
step () {
    echo "== $*" >>"$log"
    "$@" >>"$log" 2>&1 || { tail -n 60 "$log" >&2; echo "real runtime build failed: $*" >&2; exit 1; }
}
echo "building the real runtime into $prefix (-j$jobs; log $log)"
step cmake -S "$shm_dir" -B "$out/obj/shm" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DHSHM_BUILD_TESTS=OFF -DHSHM_ENABLE_ZMQ=ON -DHSHM_ENABLE_CEREAL=ON
step cmake --build "$out/obj/shm" -j "$jobs"
step cmake --install "$out/obj/shm"
step cmake -S "$chi_dir" -B "$out/obj/chi" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCHIMAERA_ENABLE_TESTS=OFF -DCMAKE_PREFIX_PATH="$prefix"
step cmake --build "$out/obj/chi" -j "$jobs"
step cmake --install "$out/obj/chi"
[ -x "$prefix/bin/chimaera_start_runtime" ] || { echo "no $prefix/bin/chimaera_start_runtime after the build" >&2; exit 1; }
rm -rf "$out/obj" "$out/src"
echo "$sums" >"$out/stamp"
echo "real runtime built in $prefix"
