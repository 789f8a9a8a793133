// Reading a function's environment: zod schemas for JSON and duration values, and one error naming every variable that
// is wrong and how to write it (a cold start that fails says what to fix, not a stack trace).
import * as z from 'zod';
import { parseDuration } from '../shared/duration.ts';

export const json = <T extends z.ZodType>(schema: T, example: string) =>
  z.string().transform((text, ctx) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `is not JSON; write it like ${example}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}` });
      return z.NEVER;
    }
    return parsed.data as z.output<T>;
  });

export const duration = (fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like ${fallback}` });
    return ms ?? 0;
  });

export function loadEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`).join('; ')}`);
  return parsed.data;
}
