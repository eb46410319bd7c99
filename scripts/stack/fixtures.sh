# build_fixtures: transpiles test/fixtures/**/*.ts (our stand-in servers) to $HWAYO_STACK_DIR/fixtures
# as CommonJS. Type checking happens in `tsc --noEmit -p .`; this only strips types, so it takes ~1 s.
# Requires lib.sh to be sourced first.
build_fixtures() {
  local out="$HWAYO_STACK_DIR/fixtures"
  # Up to date when no fixture source is newer than the last build.
  if [ -f "$out/.built" ] &&
    [ -z "$(find "$REPO_ROOT/test/fixtures" -name '*.ts' -newer "$out/.built" -print -quit)" ]; then
    return 0
  fi
  node - "$REPO_ROOT" "$out" <<'JS'
const ts = require(require.resolve('typescript', { paths: [process.argv[2]] }));
const fs = require('node:fs'); const path = require('node:path');
const [root, out] = process.argv.slice(2);
const src = path.join(root, 'test', 'fixtures');
const walk = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
for (const file of walk(src).filter((f) => f.endsWith('.ts'))) {
  const dest = path.join(out, path.relative(src, file)).replace(/\.ts$/, '.js');
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, outputText);
}
JS
  touch "$out/.built"
}

# run_fixture NAME FILE ARGS...: starts a transpiled fixture with the repo's node_modules on the path.
run_fixture() {
  local name=$1 file=$2; shift 2
  NODE_PATH="$REPO_ROOT/node_modules" start_bg "$name" node "$HWAYO_STACK_DIR/fixtures/$file" "$@"
}
