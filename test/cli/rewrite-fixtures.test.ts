/**
 * `image-cloner rewrite --no-pin` on every real manifest of
 * ../shared/fixtures/manifests: every image field (counted independently,
 * per kind, in manifest-harness.ts) is rewritten to its backup name or, when
 * invalid, left alone and reported; the output re-reads to the same objects
 * except image fields and the original-images annotation; and every line the
 * rewrite did not change is byte-identical, in place.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FIXTURE_MANIFESTS,
  getAt,
  imageFieldsOf,
  listFixtureFiles,
  objectsOf,
  readDocuments,
  runInProcess,
  setAt,
} from '../manifest-files/manifest-harness.js';

const BACKUP = 'backup.test:5000/mirror';
const ANNOTATION = 'image-cloner.io/original-images';
const test = suite('rewrite on the fixture manifests');

/** The repository part without tag and digest, and the tag and digest, read by hand. */
function splitImage(image: string): { name: string; suffix: string } {
  const at = image.indexOf('@');
  const beforeDigest = at === -1 ? image : image.slice(0, at);
  const colon = beforeDigest.lastIndexOf(':');
  const tagged = colon > beforeDigest.lastIndexOf('/');
  return { name: tagged ? beforeDigest.slice(0, colon) : beforeDigest, suffix: image.slice(tagged ? colon : beforeDigest.length) };
}

/**
 * Walks both texts line by line: an output line that differs must be an
 * image line of the same key and indentation, or one of the lines the
 * annotation added (`annotations:` and the annotation itself).
 */
function assertOnlyImageLinesChanged(input: string, output: string, file: string): { changed: number; added: number } {
  const before = input.split('\n');
  const after = output.split('\n');
  let i = 0;
  let changed = 0;
  let added = 0;
  for (let j = 0; j < after.length; j += 1) {
    const line = after[j] ?? '';
    if (line === before[i]) {
      i += 1;
      continue;
    }
    if (/^\s*annotations:\s*$/.test(line) || line.includes(`${ANNOTATION}:`)) {
      added += 1;
      continue;
    }
    const old = before[i] ?? '';
    const key = /^(\s*(?:- )?(?:image|reference):\s*)/.exec(old)?.[1];
    assert.ok(key !== undefined && line.startsWith(key), `${file}: line ${i + 1} changed but is no image line:\n- ${old}\n+ ${line}`);
    changed += 1;
    i += 1;
  }
  assert.is(i, before.length, `${file}: input lines left over`);
  return { changed, added };
}

for (const file of listFixtureFiles()) {
  const name = relative(FIXTURE_MANIFESTS, file);
  test(name, async () => {
    const input = readFileSync(file, 'utf8');
    const result = await runInProcess('rewrite', ['--no-pin', '--backup', BACKUP, '-f', file]);
    assert.is(result.code, 0, result.stderr);

    const inDocs = readDocuments(input);
    const outDocs = readDocuments(result.stdout);
    assert.is(outDocs.length, inDocs.length, 'document count');
    let expectedRewritten = 0;
    let invalid = 0;
    inDocs.forEach((inDoc, d) => {
      const outDoc = outDocs[d];
      const fields = imageFieldsOf(inDoc);
      const expected: unknown = structuredClone(inDoc);
      const originals = new Map<string, Map<string, string>>();
      for (const field of fields) {
        const image = getAt(outDoc, field.path);
        assert.type(image, 'string', `${name} ${field.path.join('.')}`);
        const objectPath = JSON.stringify(objectsOf(inDoc).find((o) => field.path.join('/').startsWith(o.path.join('/')))?.path);
        if (image === field.image) {
          // Left alone: only an invalid reference may be, and it is reported.
          invalid += 1;
          assert.ok(result.stderr.includes(JSON.stringify(field.image)), `${name}: ${field.image} unchanged and not reported`);
        } else {
          expectedRewritten += 1;
          const source = splitImage(field.image);
          assert.ok(String(image).startsWith(`${BACKUP}/`), `${name}: ${String(image)}`);
          // Tag and digest kept (or the tag defaulted to latest), the source's path inside the backup's.
          assert.ok(String(image).endsWith(source.suffix === '' ? ':latest' : source.suffix), `${name}: ${String(image)} vs ${field.image}`);
          assert.ok(String(image).includes(source.name.replace(/^docker\.io\//, '').split('/').at(-1) ?? '?'), String(image));
          const map = originals.get(objectPath) ?? new Map<string, string>();
          map.set(field.key, field.image);
          originals.set(objectPath, map);
        }
        setAt(expected, field.path, image);
      }
      // The annotation records exactly the rewritten originals, by container name.
      for (const { path, object } of objectsOf(outDoc)) {
        const recorded = (object['metadata'] as { annotations?: Record<string, string> } | undefined)?.annotations?.[ANNOTATION];
        const want = originals.get(JSON.stringify(path));
        if (want === undefined) {
          assert.is(recorded, undefined, `${name}: annotation on an object without rewritten images`);
          continue;
        }
        assert.equal(JSON.parse(recorded ?? '{}'), Object.fromEntries([...want].sort(([a], [b]) => (a < b ? -1 : 1))));
        const target = getAt(expected, [...path, 'metadata']) as { annotations?: Record<string, string> };
        target.annotations = { ...(target.annotations ?? {}), [ANNOTATION]: recorded ?? '' };
      }
      assert.equal(outDoc, expected, `${name}: document ${d + 1} differs beyond image fields`);
    });
    const lines = assertOnlyImageLinesChanged(input, result.stdout, name);
    assert.is(lines.changed, expectedRewritten, `${name}: changed lines`);
    assert.match(result.stderr, new RegExp(`${expectedRewritten} of ${expectedRewritten + invalid} images rewritten`));
  });
}

test('the fixtures hold the images their README lists', async () => {
  // Guards the independent count: if the walker found nothing, every check above would pass vacuously.
  const count = (file: string) => readDocuments(readFileSync(`${FIXTURE_MANIFESTS}/${file}`, 'utf8')).flatMap(imageFieldsOf).length;
  assert.is(count('microservices-demo/kubernetes-manifests.yaml'), 13);
  assert.is(count('argo-cd/install.yaml'), 10);
  assert.is(count('kubernetes-website/mysql-statefulset.yaml'), 4);
  assert.is(count('kubernetes-examples/rbd.yaml'), 1);
});

test('rewriting the output again changes nothing (every image is in the backup)', async () => {
  const file = `${FIXTURE_MANIFESTS}/microservices-demo/kubernetes-manifests.yaml`;
  const once = await runInProcess('rewrite', ['--no-pin', '--backup', BACKUP, '-f', file]);
  const twice = await runInProcess('rewrite', ['--no-pin', '--backup', BACKUP], { stdin: once.stdout });
  assert.is(twice.code, 0, twice.stderr);
  assert.is(twice.stdout, once.stdout);
  assert.match(twice.stderr, /0 of 13 images rewritten/);
});

test.run();
