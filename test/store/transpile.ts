import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Transpiles TypeScript sources (no type check) into `outDir`, keeping the
 * tree, so a test can run them in a child `node` process. `outDir` must lie
 * inside the repository so native packages resolve from node_modules.
 */
export function transpileTree(root: string, entries: string[], outDir: string): void {
  const files: string[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) files.push(p);
  };
  for (const e of entries) walk(join(root, e));
  for (const f of files) {
    const out = ts.transpileModule(readFileSync(f, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      fileName: f,
    });
    const dest = join(outDir, relative(root, f)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, out.outputText);
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
}
