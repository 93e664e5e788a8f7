/**
 * `npm run doctor [-- --json]`: checks the sign-in configuration against the live provider and prints a
 * verdict per check with the fix. Exit status 1 when something blocks sign-in, 0 with only ok/warn,
 * 2 on a usage error.
 */
import { config as loadDotenv } from 'dotenv';
import { cliLocale } from './messages.ts';
import { failed, render, renderText, runDoctor } from './run.ts';

const USAGE = 'usage: npm run doctor [-- --json]\n  DOCTOR_LANG=zh-CN|en overrides LANG/LC_ALL for the language.\n';

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.length) {
    process.stderr.write(argv.includes('--help') || argv.includes('-h') ? USAGE : `unknown argument: ${unknown.join(' ')}\n${USAGE}`);
    return unknown.every((a) => a === '--help' || a === '-h') ? 0 : 2;
  }
  // The same environment the server sees: .env for local development, real variables win over it.
  if (process.env.NODE_ENV !== 'production') loadDotenv({ quiet: true });
  const locale = cliLocale(process.env);
  const findings = await runDoctor(process.env);
  const rendered = render(findings, locale, process.env);
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify({ ok: !failed(findings), locale, checks: rendered }, null, 2) + '\n');
  } else {
    process.stdout.write(renderText(rendered, locale));
  }
  return failed(findings) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lzc-oidc doctor: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
