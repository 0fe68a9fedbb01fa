// Copies the front-end packages npm installed into static/vendor/ (git-ignored).
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"],
  // The source maps the two files above name: with DEBUG off, collectstatic's manifest storage
  // follows every sourceMappingURL and fails on a missing one.
  ["bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"],
  ["echarts/dist/echarts.min.js", "echarts/echarts.min.js"],
  ["echarts/i18n/langZH.js", "echarts/langZH.js"],
];
for (const [from, to] of files) {
  const source = join(root, "node_modules", from);
  if (!existsSync(source)) {
    console.error(`missing ${source}: run npm ci first`);
    process.exit(1);
  }
  const target = join(root, "static", "vendor", to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target);
}
console.log(`copied ${files.length} files into static/vendor/`);
