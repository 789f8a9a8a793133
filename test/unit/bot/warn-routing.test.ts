// Whether a warning before the kill is posted (bot/routing.ts warnWanted): oombot.io/warn on the nearest level that
// sets it, as oombot.io/alerts is resolved, else OOMBOT_WARN.
import { describe, expect, it } from 'vitest';
import { warnWanted, type WarnSetting } from '../../../bot/routing.ts';

const levels = (pod: Record<string, string> = {}, workload: Record<string, string> = {}, namespace: Record<string, string> = {}) => [pod, workload, namespace];
const on = { 'oombot.io/warn': 'on' };
const off = { 'oombot.io/warn': 'off' };

describe('warnWanted', () => {
  it.each<[string, Record<string, string>[], WarnSetting | undefined, boolean]>([
    ['nothing annotated, by default: not posted', levels(), undefined, false],
    ['nothing annotated, OOMBOT_WARN=annotated: not posted', levels(), 'annotated', false],
    ['nothing annotated, OOMBOT_WARN=all: posted', levels(), 'all', true],
    ['its namespace opts in', levels({}, {}, on), 'annotated', true],
    ['its workload opts in', levels({}, on), 'annotated', true],
    ['its workload opts out under a namespace that opted in: the nearest wins', levels({}, off, on), 'annotated', false],
    ['its workload opts in under a namespace that opted out', levels({}, on, off), 'annotated', true],
    ['its namespace opts out of a cluster that warns everywhere', levels({}, {}, off), 'all', false],
    ['the pod template opts in over everything', levels(on, off, off), 'annotated', true],
    ['a value other than on or off is no opinion: the next level decides', levels({ 'oombot.io/warn': 'yes' }, {}, on), 'annotated', true],
    ['oombot.io/alerts: "on" does not opt into warnings', levels({}, { 'oombot.io/alerts': 'on' }), 'annotated', false],
    ['no level could be read', [], 'annotated', false],
  ])('%s', (_, annotations, setting, expected) => {
    expect(warnWanted(annotations, setting)).toBe(expected);
  });
});
