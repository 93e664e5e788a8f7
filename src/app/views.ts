import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';

type Locals = Record<string, unknown>;
type Include = (view: string, data?: Locals) => string;
type Template = (locals: Locals) => string;

const NEEDS_ESCAPE = /[&<>"']/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// Names a local cannot take as a variable: the template function's own parameters and EJS's internals, and the
// words JavaScript reserves. Under EJS's `with` a local named `escapeFn` replaced its escaping; here it cannot.
// (`include` is replaced on purpose, below.)
const NOT_A_VARIABLE = new Set(
  (
    'locals escapeFn rethrow arguments eval break case catch class const continue debugger default delete do else enum ' +
    'export extends false finally for function if implements import in instanceof interface let new null package private ' +
    'protected public return static super switch this throw true try typeof var void while with yield await'
  ).split(' '),
);
const MAX_COMPILED = 256;
const isVariable = (name: string): boolean => IDENTIFIER.test(name) && !name.startsWith('__') && !NOT_A_VARIABLE.has(name);

/** EJS's own escaping, skipped for the many values that need none. */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return '';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any value a template prints, as EJS prints it
  const text = String(value);
  return NEEDS_ESCAPE.test(text) ? ejs.escapeXML(text) : text;
}

/**
 * The reference app's view engine: EJS templates, each compiled once into a plain function.
 *
 * Express's default EJS path was more than half of the profile page's render time (55 µs of it): EJS reads
 * locals through a `with` scope, which V8 cannot optimise; every include looks for its file on disk and copies
 * every local twice; and every value goes through a regular-expression replace. Here the locals a render brings
 * become plain variables (EJS's destructuredLocals, so the templates are unchanged and a name that is not a
 * local throws, as under `with`), includes come from the same cache, and escaping is EJS's with a quick test
 * first. A template is compiled for the names of the locals it is given, so each set of names has its own
 * compiled function (a handful per file: the same routes render with the same locals). With `options.cache`
 * unset (Express's 'view cache', off outside production) every render reads and compiles the file again, so
 * edits show at once.
 *
 * One rule templates must keep: EJS declares the locals with `let`, so a template may not declare a variable
 * of a local's name at its top level (inside a callback it may).
 */
export function viewEngine(): (file: string, options: object, done: (err: unknown, html?: string) => void) => void {
  const compiled = new Map<string, Template>();

  function templateFor(file: string, locals: Locals, cache: boolean): Template {
    // Keyed by every local's name: which of them can be variables is worked out only when compiling.
    const keys = Object.keys(locals);
    const key = `${file}\n${keys.join(',')}`;
    const known = cache ? compiled.get(key) : undefined;
    if (known) return known;
    const names = keys.filter(isVariable);
    // EJS 7 takes unsafePrototypeLocals; its published types do not list it yet.
    const options: ejs.Options & { unsafePrototypeLocals: boolean } = {
      strict: true,
      localsName: 'locals',
      destructuredLocals: names,
      escape: escapeHtml,
      filename: file,
      // Every render hands the template locals of its own (Express builds them afresh for each render, and an include
      // copies them): EJS need not copy them once more. (Its copy guards `with` against inherited names; here only
      // the locals' own names become variables.)
      unsafePrototypeLocals: true,
      // Also what lets the `include` local be declared: the template body then runs in its own try block, where
      // it may shadow the parameter of that name (at the function's top level it would be a SyntaxError).
      compileDebug: true,
    };
    const template = ejs.compile(readFileSync(file, 'utf8'), options) as Template;
    if (cache) {
      // Bounded in case an app renders with ever-new local names; in practice the map stays small.
      if (compiled.size >= MAX_COMPILED) compiled.clear();
      compiled.set(key, template);
    }
    return template;
  }

  /** Renders `file` with `locals`, an object of its own that it may add to. */
  function render(file: string, locals: Locals, cache: boolean): string {
    // EJS's own include() looks for the file on disk on every call. Passed as a local, this one becomes the
    // template's `include` variable (a destructured local replaces the parameter of the same name).
    const include: Include = (view, data) => {
      const target = path.resolve(path.dirname(file), path.extname(view) ? view : `${view}.ejs`);
      return render(target, { ...locals, ...data }, cache);
    };
    locals.include = include;
    return templateFor(file, locals, cache)(locals);
  }

  return (file, options, done) => {
    let html: string;
    try {
      // Express's render options are built for this render alone, so they serve as its locals as they are.
      html = render(file, options as Locals, (options as Locals).cache === true);
    } catch (err) {
      return done(err);
    }
    done(null, html);
  };
}
