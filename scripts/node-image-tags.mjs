#!/usr/bin/env node
// Prints the node image tags the emulator expects, one a line, from src/runtime/node-images.json (the image map
// itself), so docker/build-node-images.sh builds exactly those. Arguments pick engines by the tag's repository:
// `node scripts/node-image-tags.mjs redis valkey/valkey` (no argument: every tag). Plain Node, no dependency: CI
// runs it before `npm ci`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// In a clone the map is under src/; in the installed package, under dist/src/.
const mapFile = ['../src/runtime/node-images.json', '../dist/src/runtime/node-images.json']
  .map((path) => fileURLToPath(new URL(path, import.meta.url)))
  .find((path) => existsSync(path));
if (!mapFile) throw new Error('src/runtime/node-images.json not found');
const images = [...new Set(Object.values(JSON.parse(readFileSync(mapFile, 'utf8'))))];
const wanted = process.argv.slice(2);
const repository = (image) => image.slice(0, image.lastIndexOf(':'));
for (const image of images) {
  if (wanted.length === 0 || wanted.includes(repository(image))) process.stdout.write(`${image}\n`);
}
