import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadHubDocument } from '../../core/server/hub-document.js';

describe('the hub document and its parts', () => {
  async function documentWith(parts: Record<string, string>) {
    const dir = await mkdtemp(path.join(tmpdir(), 'hubdoc-'));
    await writeFile(path.join(dir, 'hub.yaml'), 'openapi: 3.1.0\ntags: [{name: a}]\npaths:\n  /a: {get: {operationId: a}}\ncomponents:\n  schemas:\n    A: {type: string}\n');
    await mkdir(path.join(dir, 'hub'));
    for (const [name, text] of Object.entries(parts)) await writeFile(path.join(dir, 'hub', name), text);
    return loadHubDocument(path.join(dir, 'hub.yaml'), path.join(dir, 'hub'));
  }

  it('merges the paths, tags and components of every part', async () => {
    const doc = await documentWith({ 'b.yaml': 'tags: [{name: b}]\npaths:\n  /b: {get: {operationId: b}}\ncomponents:\n  schemas:\n    B: {type: number}\n  parameters:\n    P: {name: p, in: query}\n' });
    expect(Object.keys(doc.paths)).toEqual(['/a', '/b']);
    expect(Object.keys(doc.components.schemas)).toEqual(['A', 'B']);
    expect(doc.components.parameters.P.name).toBe('p');
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual(['a', 'b']);
  });

  it('refuses a path, a component or a tag defined twice, and keys other than paths, tags and components', async () => {
    await expect(documentWith({ 'b.yaml': 'paths:\n  /a: {post: {operationId: b}}\n' })).rejects.toThrow('b.yaml: path /a is defined twice');
    await expect(documentWith({ 'b.yaml': 'components:\n  schemas:\n    A: {type: number}\n' })).rejects.toThrow('components.schemas A is defined twice');
    await expect(documentWith({ 'b.yaml': 'tags: [{name: a}]\n' })).rejects.toThrow('tag a is defined twice');
    await expect(documentWith({ 'b.yaml': 'info: {title: x}\n' })).rejects.toThrow('only paths, tags and components');
  });
});
