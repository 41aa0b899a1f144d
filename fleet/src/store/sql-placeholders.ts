// The store's queries are written once, with SQLite's placeholders (`@name` with an object of
// parameters, `?` with an array); PostgreSQL wants $1, $2, …. This turns one into the other, once
// per SQL text, skipping string literals, quoted names and comments.
import type { SqlParams } from './store-database.js';

export interface PositionalSql {
  text: string;
  /** The parameters in $n order; throws on a missing name or a wrong count, as better-sqlite3 does. */
  values(params?: SqlParams): unknown[];
}

const NAME = /[A-Za-z0-9_]/;

export function toPositional(sql: string): PositionalSql {
  const names: string[] = [];
  let positional = 0;
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // A literal or a quoted name, up to its closing quote (a doubled quote stays inside).
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === '?') {
      out += `$${++positional}`;
      i++;
    } else if (c === '@' && NAME.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && NAME.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let n = names.indexOf(name);
      if (n === -1) n = names.push(name) - 1;
      out += `$${n + 1}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  if (positional > 0 && names.length > 0) throw new Error(`SQL mixes ? and @name placeholders: ${sql}`);

  return {
    text: out,
    values(params) {
      if (names.length > 0) {
        if (params === undefined || Array.isArray(params)) throw new Error(`SQL takes named parameters (${names.join(', ')}): ${sql}`);
        const named = params as Record<string, unknown>;
        return names.map((name) => {
          if (!(name in named)) throw new Error(`missing named parameter "${name}": ${sql}`);
          return named[name];
        });
      }
      const list = params === undefined ? [] : Array.isArray(params) ? (params as unknown[]) : null;
      if (list === null || list.length !== positional) throw new Error(`SQL takes ${positional} positional parameters: ${sql}`);
      return list;
    },
  };
}
