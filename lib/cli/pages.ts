import type { Command } from 'commander';
import type { Answer } from './api-client';
import { pageSize } from './arguments';
import type { CommandContext } from './context';

/**
 * The API's paged lists (`limit`, `nextToken`) on the command line: one page by default, the next
 * with `--next-token`, or every page with `--all` (printed as one `{ "items": [...] }` with
 * --output json).
 */

export interface PageOptions {
  readonly limit?: number;
  readonly nextToken?: string;
  readonly all?: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

/** Adds --limit, --next-token and --all to a list command. */
export function withPageOptions<C extends Command>(command: C, noun: string): C {
  command
    .option('--limit <n>', `${noun} per page (1-100; default 25)`, pageSize)
    .option('--next-token <token>', 'the page after the one that gave this token')
    .option('--all', 'every page (--limit is then the page size of each request)');
  return command;
}

/** Prints one page (and on stderr how to get the next), or every page with `--all`. */
export async function listPages<T>(
  ctx: CommandContext,
  options: PageOptions,
  render: (items: readonly T[]) => string,
  fetchPage: (nextToken: string | undefined) => Promise<Answer<Page<T>>>,
  keep: (item: T) => boolean = () => true,
): Promise<void> {
  if (!options.all) {
    const page = (await fetchPage(options.nextToken)).document;
    ctx.print(page, (shown) => render(shown.items.filter(keep)));
    if (page.nextToken && !ctx.json) ctx.note(`(more: --next-token ${page.nextToken}, or --all)`);
    return;
  }
  const items: T[] = [];
  let token = options.nextToken;
  do {
    const page: Page<T> = (await fetchPage(token)).document;
    items.push(...page.items.filter(keep));
    token = page.nextToken;
  } while (token);
  ctx.print({ items }, (all) => render(all.items));
}
