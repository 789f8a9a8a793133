// An alert redrawn from the store shows its workload's mute as it is at that moment (bot/alert.ts withMuteState): the
// store's blocks are the alert as posted (or handled), never muted, and the Mutes store alone says whether it is muted,
// by whom and until when — a mute from the button, from `/oom mute`, undone or run out since, reads right on every
// counter update, eviction count and handled redraw.
import type { Block, KnownBlock } from '@slack/types';
import { muteKey } from '../kube/workloads.ts';
import type { Incidents, Mutes } from '../store/port.ts';
import { muteButtonIncident, withMuteState } from './alert.ts';

export type MuteStateStore = Pick<Incidents, 'incident'> & Pick<Mutes, 'activeMute'>;

/**
 * The blocks with the mute of the workload their Mute button acts on (its incident's), read at `now`. Blocks without
 * Mute buttons (a storm's root, a node's OOM) cost no read; an incident the store does not have leaves them as they are.
 */
export async function withCurrentMute(store: MuteStateStore, blocks: (KnownBlock | Block)[], now: number): Promise<(KnownBlock | Block)[]> {
  const incidentId = muteButtonIncident(blocks);
  if (!incidentId) return blocks;
  const incident = await store.incident(incidentId);
  if (!incident) return blocks;
  return withMuteState(blocks, await store.activeMute(muteKey(incident.cluster, incident.namespace, incident.workload), now));
}
