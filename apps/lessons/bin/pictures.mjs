#!/usr/bin/env node
// Writes the pictures' translations: pictures/<name>.<lang>.svg from pictures/<name>.svg and
// pictures/<lang>.json (lib/pictures.mjs). Run it after changing a picture or a translation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PICTURE_DIR, localisePicture, pictureFile, pictureNames } from '../lib/pictures.mjs';
import { LANGS } from '../lib/runner.mjs';

for (const lang of LANGS.filter((l) => l !== 'en')) {
  for (const name of pictureNames()) {
    writeFileSync(join(PICTURE_DIR, pictureFile(name, lang)), localisePicture(name, lang));
    console.log(`pictures/${pictureFile(name, lang)}`);
  }
}
