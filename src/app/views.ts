import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';

type Locals = Record<string, unknown>;
type Include = (view: string, data?: Locals) => string;
type Template = (locals: Locals) => string;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// Names a local cannot take as a variable: the template function's own parameters and EJS's internals (a local
// of that name would replace them; `include` is replaced on purpose, below), and the words JavaScript reserves.
// Under `with` they were unreadable too.
const NOT_A_VARIABLE = new Set(
  (
    'locals escapeFn rethrow arguments eval break case catch class const continue debugger default delete do else enum ' +
    'export extends false finally for function if implements import in instanceof interface let new null package private ' +
    'protected public return static super switch this throw true try typeof var void while with yield await'
  ).split(' '),
);
const isVariable = (name: string): boolean => IDENTIFIER.test(name) && !name.startsWith('__') && !NOT_A_VARIABLE.has(name);

/** EJS's own escaping, character for character, without a replace() on the many values that need none. */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return '';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any value a template prints, as EJS prints it
  const text = String(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!) : text;
}

interface Compiled {
  template: Template;
  /** The locals the template reads as plain variables: a render that brings a new one compiles again. */
  names: Set<string>;
}

/**
 * The reference app's view engine: EJS templates, each compiled once into a plain function.
 *
 * Express's default EJS path was more than half of the profile page's render time (55 µs of it): EJS reads
 * locals through a `with` scope, which V8 cannot optimise; every include looks for its file on disk and copies
 * every local twice; and every value goes through a regular-expression replace. Here the locals a render brings
 * become plain variables (EJS's destructuredLocals, so the templates are unchanged and a name that is not a
 * local still throws, as under `with`), includes come from the same cache, and escaping is EJS's with a quick
 * test first. With `options.cache` unset (Express's 'view cache', off outside production) every render
 * reads and compiles the file again, so edits show at once.
 */
export function viewEngine(): (file: string, options: object, done: (err: unknown, html?: string) => void) => void {
  const compiled = new Map<string, Compiled>();

  function templateFor(file: string, locals: Locals, cache: boolean): Template {
    const known = cache ? compiled.get(file) : undefined;
    const names = Object.keys(locals).filter(isVariable);
    if (known && names.every((name) => known.names.has(name))) return known.template;
    const all = new Set([...(known?.names ?? []), ...names]);
    const template = ejs.compile(readFileSync(file, 'utf8'), {
      strict: true,
      localsName: 'locals',
      destructuredLocals: [...all],
      escape: escapeHtml,
      filename: file,
    }) as Template;
    if (cache) compiled.set(file, { template, names: all });
    return template;
  }

  function render(file: string, locals: Locals, cache: boolean): string {
    // EJS's own include() looks for the file on disk on every call. Passed as a local, this one becomes the
    // template's `include` variable (a destructured local replaces the parameter of the same name).
    const include: Include = (view, data) => {
      const target = path.resolve(path.dirname(file), path.extname(view) ? view : `${view}.ejs`);
      return render(target, { ...locals, ...data }, cache);
    };
    const withInclude = { ...locals, include };
    return templateFor(file, withInclude, cache)(withInclude);
  }

  return (file, options, done) => {
    let html: string;
    try {
      html = render(file, options as Locals, (options as Locals).cache === true);
    } catch (err) {
      return done(err);
    }
    done(null, html);
  };
}
