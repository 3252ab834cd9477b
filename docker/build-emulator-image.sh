#!/usr/bin/env bash
# Builds the emulator's own image, elasticache-local:offline, without a registry (as build-node-images.sh builds the
# node images): a root holding this machine's node binary and the libraries ldd lists, the built dist/, the API
# models, the console's files and the production node_modules (better-sqlite3's native build matches this node),
# `docker import`ed, then given its HEALTHCHECK by a build FROM that local image (import takes no HEALTHCHECK).
# The entrypoint is the CLI: flags and ELASTICACHE_LOCAL_* variables pass through.
# Usage: docker/build-emulator-image.sh [tag]   (default elasticache-local:offline)
set -euo pipefail

TAG=${1:-elasticache-local:offline}
REPO=$(cd "$(dirname "$0")/.." && pwd)
command -v docker >/dev/null || { echo "docker is not installed" >&2; exit 1; }
NODE=$(command -v node) || { echo "node is not installed" >&2; exit 1; }
cd "$REPO"
npm run build --silent

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
app="$root/app"
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/data" "$app"
chmod 1777 "$root/tmp"
cp "$NODE" "$root/usr/local/bin/node"
for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
mkdir -p "$root/root"

# What the package ships (package.json "files"), from this checkout.
cp package.json package-lock.json "$app/"
tar -cf - --exclude="*.map" dist/bundle dist/src/runtime/node-images.json api-models src/http/console scripts/node-image-tags.mjs docker/build-node-images.sh |
  tar -C "$app" -xf -
# The production dependencies only: every package `npm ls --omit=dev` names, each without its own nested
# node_modules (those it needs are listed themselves).
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s#^$REPO/##" | while read -r package; do
  tar -C "$REPO" --exclude="$package/node_modules" -cf - "$package" | tar -C "$app" -xf -
done

# No shell and no curl in the image: node asks the health route, on the port the emulator was given.
HEALTH_CHECK="fetch('http://127.0.0.1:' + (process.env.ELASTICACHE_LOCAL_PORT || 8379) + '/_elasticache_local/health')\
.then((r) => r.json()).then((h) => process.exit(h.runtime && h.runtime !== 'starting' ? 0 : 1), () => process.exit(1))"

imported="elasticache-local:offline-root-$$"
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$imported" >/dev/null
# The health route answers once the API listens; the image is healthy once the runtime is chosen too.
docker build -q -t "$TAG" - >/dev/null <<DOCKERFILE
FROM $imported
WORKDIR /app
ENV ELASTICACHE_LOCAL_HOST=0.0.0.0 \\
    ELASTICACHE_LOCAL_DATA_DIR=/data \\
    ELASTICACHE_LOCAL_RUNTIME=docker \\
    NODE_ENV=production
VOLUME /data
EXPOSE 8379
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \\
  CMD ["node", "-e", "$HEALTH_CHECK"]
LABEL io.elasticache-local.image=offline
ENTRYPOINT ["node", "/app/dist/bundle/cli.js"]
DOCKERFILE
docker rmi "$imported" >/dev/null
echo "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.1f MB", $1/1e6}')) with node $("$NODE" --version)"
