// Builds what the service serves from this folder's readable sources (`make embed`):
// embed.js (English catalogue inlined), embed-write.js, and i18n/<lang>.json for the others,
// into moderation/static/ (or the folder given as the first argument, as the test's rebuild does).
// Each file the embed fetches later is named with a version, a digest of its built bytes, that
// moderation/web/embed_assets.py computes the same way (sha256, first 8 hex digits).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { minify } from "terser";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = resolve(process.argv[2] || join(here, "..", "static"));
const version = bytes => createHash("sha256").update(bytes).digest("hex").slice(0, 8);
const TERSER = {
  ecma: 2020, toplevel: true, mangle: true,
  compress: { passes: 3, unsafe: true, unsafe_arrows: true, pure_getters: true },
  format: { comments: false }
};

mkdirSync(join(out, "i18n"), { recursive: true });
const catalogues = {};
for (const file of readdirSync(join(here, "i18n")).sort()) {
  const lang = file.replace(/\.json$/, "");
  catalogues[lang] = JSON.stringify(JSON.parse(readFileSync(join(here, "i18n", file), "utf8")));
}
const versions = {};
for (const [lang, text] of Object.entries(catalogues)) {
  if (lang === "en") continue;  // built into embed.js
  writeFileSync(join(out, "i18n", lang + ".json"), text);
  versions[lang] = version(text);
}
const write = (await minify(readFileSync(join(here, "write.js"), "utf8"), TERSER)).code;
writeFileSync(join(out, "embed-write.js"), write);
const source = readFileSync(join(here, "embed.js"), "utf8")
  .replace("__EN__", () => catalogues.en)
  .replace("__LANGS__", () => JSON.stringify(versions))
  .replace("__WRITE__", () => JSON.stringify(version(write)));
writeFileSync(join(out, "embed.js"), (await minify(source, TERSER)).code);
