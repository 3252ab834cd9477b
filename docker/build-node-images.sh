#!/usr/bin/env bash
# Builds the cache node images offline from this machine's Debian binaries (redis-server with redis-cli, memcached):
# copies each binary and every library ldd lists into an empty root, adds a minimal /etc/passwd, and `docker
# import`s it under the tags the emulator's image map expects (src/runtime/node-images.json, read by
# scripts/node-image-tags.mjs).
# The memcached image also gets Cyrus SASL's PLAIN plugin, for SASL nodes (src/control/memcached-sasl.ts).
# No registry is needed. Valkey is not packaged by Debian 12, so the valkey tags are the redis image (the emulator
# logs this when it uses them).
set -euo pipefail

command -v docker >/dev/null || { echo "docker is not installed" >&2; exit 1; }
command -v node >/dev/null || { echo "node is not installed (it reads the tags from the image map)" >&2; exit 1; }

# The tags come from the emulator's own image map (src/runtime/node-images.json), so the two never disagree.
tags_of() { node "$(dirname "$0")/../scripts/node-image-tags.mjs" "$@"; }
mapfile -t REDIS_TAGS < <(tags_of redis valkey/valkey)
mapfile -t MEMCACHED_TAGS < <(tags_of memcached)
[ ${#REDIS_TAGS[@]} -gt 0 ] && [ ${#MEMCACHED_TAGS[@]} -gt 0 ] || { echo "no tags in the image map" >&2; exit 1; }

build() { # binary, cmd json, tags...
  local binary=$1 cmd=$2; shift 2
  local root
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/data"
  chmod 1777 "$root/tmp" "$root/data"
  # The official redis images carry redis-cli beside the server (client containers in the tests run it too).
  local binaries=("$binary")
  [ "$binary" = redis-server ] && command -v redis-cli >/dev/null && binaries+=(redis-cli)
  for program in "${binaries[@]}"; do
    cp "$(command -v "$program")" "$root/usr/local/bin/"
    # The dynamic loader and every shared library the program needs, at the same paths.
    for lib in $(ldd "$(command -v "$program")" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
  # valkey-server is redis-server offline: the valkey tags run it under the name official valkey images use.
  [ "$binary" = redis-server ] && ln -s redis-server "$root/usr/local/bin/valkey-server"
  # memcached's SASL (-S) loads its PLAIN mechanism as a Cyrus SASL plugin, which ldd does not list: the plugin
  # (libsasl2-modules) from the directory beside libsasl2, at its real path (the one Cyrus was built to search).
  # It needs no library but libc.
  if [ "$binary" = memcached ]; then
    local sasl_lib plugins
    sasl_lib=$(ldd "$(command -v memcached)" | grep -o '/[^ ]*libsasl2\.so[^ ]*' | head -n1)
    plugins=$(readlink -f "$(dirname "$sasl_lib")/sasl2")
    [ -n "$sasl_lib" ] && ls "$plugins"/libplain.so* >/dev/null 2>&1 || {
      echo "no Cyrus SASL PLAIN plugin beside $sasl_lib (apt-get install libsasl2-modules)" >&2
      exit 1
    }
    mkdir -p "$root$plugins"
    cp -L "$plugins"/libplain.so* "$root$plugins/"
  fi
  printf 'root:x:0:0:root:/:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  local first=$1
  tar -C "$root" -c . | docker import -c "CMD $cmd" -c 'WORKDIR /data' \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'LABEL io.elasticache-local.image=offline' - "$first" >/dev/null
  for tag in "$@"; do docker tag "$first" "$tag"; done
  echo "built $first ($(docker image inspect -f '{{.Size}}' "$first" | awk '{printf "%.1f MB", $1/1e6}')) as: $*"
}

build redis-server '["redis-server","--protected-mode","no"]' "${REDIS_TAGS[@]}"
build memcached '["memcached","-u","nobody"]' "${MEMCACHED_TAGS[@]}"
