// Builds the monitor page the relay embeds: bundles src/main.js (with
// @redux-devtools/app, React and ReactDOM from node_modules, installed from the
// lockfile) into one minified script and stylesheet, and writes them gzipped with the
// page and a manifest into the folder given as the first argument:
//
//   node build.mjs OUT_DIR
//
// OUT_DIR gets index.html.gz, app.<hash>.js.gz, app.<hash>.css.gz and manifest.tsv
// (one line per route: path, file, content type, ETag). The relay's build.rs reads the
// manifest. Run `npm ci` first (build.rs does).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  minify: true,
  write: false,
  outdir: 'bundle',
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  platform: 'browser',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Fonts go into the stylesheet so the page needs nothing but these two files.
  loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl' },
  legalComments: 'none',
  logLevel: 'warning',
});

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const gzip = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION });

const files = [];
function emit(path, name, type, bytes) {
  writeFileSync(join(out, `${name}.gz`), gzip(bytes));
  files.push([path, `${name}.gz`, type, `"${hash(bytes)}"`]);
}

let js, css;
for (const f of result.outputFiles) {
  if (f.path.endsWith('.js')) js = f.contents;
  else if (f.path.endsWith('.css')) css = f.contents;
}
if (!js || !css) throw new Error('esbuild produced no app.js or app.css');

// Asset names carry their content hash, so the relay can let browsers keep them forever.
const jsName = `app.${hash(js)}.js`;
const cssName = `app.${hash(css)}.css`;
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%APP_JS%', `/_remotedev/${jsName}`)
  .replace('%APP_CSS%', `/_remotedev/${cssName}`);

emit('/', 'index.html', 'text/html; charset=utf-8', Buffer.from(html));
emit(`/_remotedev/${jsName}`, jsName, 'text/javascript; charset=utf-8', js);
emit(`/_remotedev/${cssName}`, cssName, 'text/css; charset=utf-8', css);

writeFileSync(join(out, 'manifest.tsv'), files.map((f) => f.join('\t')).join('\n') + '\n');
for (const [path, file] of files) console.error(`[ui] ${path} -> ${file}`);
