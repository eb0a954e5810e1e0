/**
 * Every RBAC rule says why it exists, next to it (SECURITY.md points there):
 * in a role with several rules each rule has its own comment right above
 * it; a role with one rule has a comment in its document. The exact rule
 * sets are pinned by rbac.test.ts; this keeps their reasons from going
 * missing when a rule is added.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MANIFESTS, readRepoFile } from './render.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return name.endsWith('.yaml') ? [path] : [];
    });
}

/** Each YAML document of `manifests/` that defines a Role or ClusterRole, with where it is. */
function roleDocuments(): Array<{ readonly where: string; readonly lines: string[] }> {
  return yamlFiles(MANIFESTS).flatMap((file) => {
    const path = relative(join(MANIFESTS, '..'), file);
    return readRepoFile(path)
      .split(/^---$/m)
      .map((text, index) => ({ where: `${path} document ${index + 1}`, lines: text.split('\n') }))
      .filter((doc) => doc.lines.some((line) => /^kind: (Cluster)?Role$/.test(line)));
  });
}

const test = suite('manifests: every RBAC rule is documented');

test('the roles are found (self-managed certificates, private sources)', () => {
  assert.is(roleDocuments().length, 3);
});

for (const { where, lines } of roleDocuments()) {
  test(`${where}: a reason for each rule`, () => {
    const rules = lines.map((line, i) => [line, i] as const).filter(([line]) => /^\s*- apiGroups:/.test(line));
    assert.ok(rules.length > 0, 'has rules');
    if (rules.length === 1) {
      assert.ok(lines.some((line) => /^\s*#\s*\S/.test(line)), 'a comment in the document');
      return;
    }
    for (const [line, i] of rules) assert.match(lines[i - 1] ?? '', /^\s*#\s*\S/, `a comment right above "${line.trim()}"`);
  });
}

test.run();
