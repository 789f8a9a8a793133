import { describe, expect, it } from 'vitest';
import { namespaceList } from '../../kube/find-pod.ts';

// How a pod name found in several namespaces names them, in `oombot explain` and `/oom why` (kube/find-pod.ts).
describe('namespaceList', () => {
  const many = Array.from({ length: 13 }, (_, i) => `team-${String(i).padStart(2, '0')}`);
  it.each([
    { namespaces: ['team-a', 'team-b'], more: false, want: 'team-a, team-b' },
    { namespaces: many.slice(0, 10), more: false, want: many.slice(0, 10).join(', ') },
    { namespaces: many, more: false, want: `${many.slice(0, 10).join(', ')} and 3 more` },
    // The list was cut at a page: how many more is not known.
    { namespaces: ['team-a', 'team-b'], more: true, want: 'team-a, team-b and more' },
  ])('$want', ({ namespaces, more, want }) => {
    expect(namespaceList(namespaces, more)).toBe(want);
  });
});
