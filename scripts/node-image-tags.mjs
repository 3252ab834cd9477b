#!/usr/bin/env node
// Prints the node image tags the emulator expects, one a line, from src/runtime/node-images.json (the image map
// itself), so docker/build-node-images.sh builds exactly those. Arguments pick engines by the tag's repository:
// `node scripts/node-image-tags.mjs redis valkey/valkey` (no argument: every tag). Plain Node, no dependency: CI
// runs it before `npm ci`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const mapFile = fileURLToPath(new URL('../src/runtime/node-images.json', import.meta.url));
const images = [...new Set(Object.values(JSON.parse(readFileSync(mapFile, 'utf8'))))];
const wanted = process.argv.slice(2);
const repository = (image) => image.slice(0, image.lastIndexOf(':'));
for (const image of images) {
  if (wanted.length === 0 || wanted.includes(repository(image))) process.stdout.write(`${image}\n`);
}
