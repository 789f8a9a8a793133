// An incident's id, from the occurrence it records: what buttons carry and people read. Its own module, so `/oom why`
// can find the incident of a termination it sees live without loading the post path (bot/post-occurrence.ts).

/** A short incident id for people and buttons: "inc-" and the first characters of the occurrence's hash. */
export function incidentId(occurrenceId: string): string {
  // 16 base32 characters (80 bits) of the occurrence's hash: no collision in any realistic history.
  return `inc-${occurrenceId.split('-').pop()!.slice(0, 16)}`;
}
