import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ejs from 'ejs';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { escapeHtml, viewEngine } from '../../src/app/views.ts';
import { translator } from '../../src/app/messages.ts';

const VIEWS = path.resolve(import.meta.dirname, '..', '..', 'views');
type Locals = Record<string, unknown>;

/** Renders through Express, as the app does, with this engine or with EJS's default one. */
function renderer(withEngine: boolean) {
  const app = express();
  app.set('views', VIEWS);
  app.set('view engine', 'ejs');
  app.set('view cache', true);
  if (withEngine) app.engine('ejs', viewEngine());
  return (view: string, locals: Locals) =>
    new Promise<string>((resolve, reject) => app.render(view, locals, (err, html) => (err ? reject(err) : resolve(html))));
}

/** The engine over `files`, written into a directory of their own. */
function engineIn(files: Record<string, string>, cache = true) {
  const dir = mkdtempSync(path.join(tmpdir(), 'lzc-views-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const engine = viewEngine();
  const render = (file: string, locals: Locals) =>
    new Promise<string>((resolve, reject) =>
      engine(path.join(dir, file), { ...locals, cache }, (err, html) => (err ? reject(err) : resolve(html!))),
    );
  return { render, dir };
}

const hostile = '<script>alert("x") & \'y\'</script>';
const user = {
  sub: 'sub-1',
  name: hostile,
  email: 'a@example.com',
  picture: 'https://x.example/a.png?a=1&b=2',
  groups: ['ADMIN', '<g>'],
  issuer: 'https://id.example',
};
const at = { iso: '2026-11-30T03:00:00.000Z', local: '2026-11-30 11:00 GMT+8', relative: '3 minutes ago' };

describe('the reference app view engine', () => {
  // One app each, as the reference app has: later renders come from the caches earlier ones filled.
  const ours = renderer(true);
  const ejsDefault = renderer(false);

  it.each([
    [
      'profile',
      {
        user,
        session: { refreshable: true },
        times: { signedInAt: at, expiresAt: at, tokenExpiresAt: undefined },
        claims: { name: hostile, groups: ['a', 'b'], n: 3, ok: true },
      },
    ],
    [
      'profile',
      { user: { ...user, picture: undefined, email: undefined, groups: [] }, session: { refreshable: false }, times: {}, claims: {} },
    ],
    ['home', { user: undefined, signedOutNotice: true, devUsers: 'alice / alice-password & <b>' }],
    ['home', { user, signedOutNotice: false, devUsers: undefined }],
    ['admin', { user }],
  ])('renders %s byte for byte as EJS does', async (view, locals) => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const all = { ...locals, t: translator(locale), locale };
      const html = await ours(view, all);
      expect(html).toBe(await ejsDefault(view, all));
      expect(html).not.toContain('<script>');
    }
  });

  it('escapes exactly as EJS does', () => {
    for (const value of [hostile, '', 'plain', 0, 42, true, null, undefined, '&amp;', "it's", { toString: () => '<o>' }]) {
      expect(escapeHtml(value)).toBe(ejs.escapeXML(value as string));
    }
  });

  it('throws for a name that is not a local, as EJS does', async () => {
    const { render } = engineIn({ 'page.ejs': '<%= missing %>' });
    await expect(render('page.ejs', { present: 1 })).rejects.toThrow(/missing is not defined/);
  });

  it('compiles again when a render brings a local the compiled template did not know', async () => {
    const { render } = engineIn({
      'page.ejs': "<%= typeof extra === 'undefined' ? 'none' : extra %>",
    });
    expect(await render('page.ejs', {})).toBe('none');
    expect(await render('page.ejs', { extra: 'here' })).toBe('here');
    expect(await render('page.ejs', {})).toBe('none');
  });

  it('does not remember a local from an earlier render: without it the name throws again', async () => {
    const { render } = engineIn({ 'page.ejs': '<%= extra %>' });
    expect(await render('page.ejs', { extra: 'here' })).toBe('here');
    await expect(render('page.ejs', {})).rejects.toThrow(/extra is not defined/);
  });

  it('includes relative partials with their own data, from the cache when caching', async () => {
    const { render, dir } = engineIn({
      'page.ejs': "<%- include('part', { who: 'partial' }) %>|<%= who %>",
      'part.ejs': '<%= who %>:<%= shared %>',
    });
    expect(await render('page.ejs', { who: 'page', shared: 's' })).toBe('partial:s|page');
    writeFileSync(path.join(dir, 'part.ejs'), 'changed');
    expect(await render('page.ejs', { who: 'page', shared: 's' })).toBe('partial:s|page');
  });

  it('reads the file again on every render without the cache, so edits show in development', async () => {
    const { render, dir } = engineIn({ 'page.ejs': 'one' }, false);
    expect(await render('page.ejs', {})).toBe('one');
    writeFileSync(path.join(dir, 'page.ejs'), 'two');
    expect(await render('page.ejs', {})).toBe('two');
  });

  it('answers a template error through the callback, with its file and line', async () => {
    const { render } = engineIn({ 'page.ejs': 'a\n<% null.x %>' });
    await expect(render('page.ejs', {})).rejects.toThrow(/page\.ejs:2/);
  });
});
