#!/usr/bin/env bash
# A fresh clone must set up, run the demo and pass its tests with no C/C++ compiler, make or Python, and
# its packed tarball must install globally and work (issue 18). Everything runs in a temporary folder with
# PATH reduced to node, npm, npx, git, sh, bash and coreutils; the repository itself is not touched.
# It checks the committed HEAD, not uncommitted changes. npm's cache is shared with the user's: it holds
# downloaded tarballs only, never a build, so a warm cache cannot hide a compile.
#
# usage: scripts/check-fresh-setup.sh        (KEEP=1 keeps the temporary folder)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
commit=$(git -C "$repo" rev-parse HEAD)
work=$(mktemp -d "${TMPDIR:-/tmp}/smartdelta-fresh.XXXXXX")
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
say() { printf '\nfresh-setup: %s\n' "$*"; }

# The reduced PATH. Coreutils are the GNU set, linked where this machine has them (type -P: not the builtins).
bin="$work/bin"
mkdir "$bin"
for tool in node npm npx git sh bash; do
  ln -s "$(command -v "$tool")" "$bin/$tool" || { echo "fresh-setup: $tool not found" >&2; exit 2; }
done
for tool in '[' arch b2sum base32 base64 basename basenc cat chcon chgrp chmod chown chroot cksum comm cp \
  csplit cut date dd df dir dircolors dirname du echo env expand expr factor false fmt fold groups head \
  hostid id install join link ln logname ls md5sum mkdir mkfifo mknod mktemp mv nice nl nohup nproc numfmt \
  od paste pathchk pinky pr printenv printf ptx pwd readlink realpath rm rmdir runcon seq sha1sum sha224sum \
  sha256sum sha384sum sha512sum shred shuf sleep sort split stat stdbuf stty sum sync tac tail tee test \
  timeout touch tr true truncate tsort tty uname unexpand uniq unlink users vdir wc who whoami yes; do
  if found=$(type -P "$tool"); then ln -s "$found" "$bin/$tool"; fi
done
for tool in cc gcc c++ g++ clang make python python3 qemu-system-arm; do
  if PATH="$bin" command -v "$tool" >/dev/null; then echo "fresh-setup: $tool is on the reduced PATH" >&2; exit 2; fi
done

# A clean environment: the reduced PATH, no CC/CXX/PYTHON, only what reaching the registry may need.
keep=(HOME="$HOME" PATH="$bin" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}")
for name in CI NODE_EXTRA_CA_CERTS HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy \
  npm_config_cache npm_config_registry npm_config_userconfig; do
  if [ -n "${!name:-}" ]; then keep+=("$name=${!name}"); fi
done
reduced() { env -i "${keep[@]}" "$@"; }

clone="$work/smartdelta"
say "clone $commit into $clone"
git clone -q "$repo" "$clone"
git -C "$clone" checkout -q --detach "$commit"

cd "$clone"
say 'npm ci && npm run demo'
reduced npm ci
reduced npm run demo

# lzma-native must load its prebuilt binary: node-gyp-build would compile into build/ otherwise.
[ ! -e node_modules/lzma-native/build ] || { echo 'fresh-setup: lzma-native was compiled' >&2; exit 1; }
reduced node -e "require('lzma-native'); console.log('lzma-native: prebuilt binary loaded, nothing compiled')"
[ -e node_modules/bsdiff-node ] && echo 'bsdiff-node: installed' || echo 'bsdiff-node: not built (optional; the bench skips it)'

say 'npm test (tests that need gcc, make, the cross compiler, OpenSSL, Chromium or ../shared skip)'
reduced npm test

say 'npm pack, then npm install -g of the tarball into a temporary prefix'
# A new prefix also moves npm's global config file; keep this machine's (it may name a CA file or a registry).
globalconfig=$(npm config get globalconfig)
reduced npm pack --pack-destination "$work" --loglevel warn >/dev/null
cd "$work"
reduced npm_config_globalconfig="$globalconfig" npm_config_prefix="$work/prefix" npm install -g "$work"/smartdelta-*.tgz
[ ! -e prefix/lib/node_modules/smartdelta/node_modules/lzma-native/build ] || { echo 'fresh-setup: lzma-native was compiled' >&2; exit 1; }
sd() { reduced "$work/prefix/bin/smartdelta" "$@"; }
sd --version
# Each bundled release to the next, from the .elf files; apply checks the SHA-256, the .bin comparison too.
fixtures="$clone/fixtures/build" previous=
for dir in "$fixtures"/v*/; do
  version=$(basename "$dir")
  if [ -n "$previous" ]; then
    sd diff "$fixtures/$previous/firmware.elf" "$dir/firmware.elf" -o "$work/$version.sdp"
    sd apply "$fixtures/$previous/firmware.elf" "$work/$version.sdp" -o "$work/$version.bin"
    [ "$(sha256sum <"$work/$version.bin")" = "$(sha256sum <"$dir/firmware.bin")" ] ||
      { echo "fresh-setup: $previous -> $version does not give $version's firmware.bin" >&2; exit 1; }
  fi
  previous=$version
done

say "ok: set-up, demo, tests and the global install work without a compiler (commit $commit)"
