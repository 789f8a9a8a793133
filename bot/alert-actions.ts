// What the alert's buttons do. Their value is an incident id; the incident — cluster, namespace, workload, verdict —
// is read from the store, so a forged or stale value can mute or show only what the store holds under that id.
import { notSeen } from '#shared/unseen.ts';
import { muteKey, WorkloadRef } from '../kube/workloads.ts';
import type { AuditTrail, Incidents, Mutes } from '../store/port.ts';
import { ACTIONS } from './alert.ts';
import { clip, escapeMrkdwn, SLACK_LIMITS, withoutCaller } from './slack-limits.ts';

export interface ActionAnswer {
  response_type: 'ephemeral';
  replace_original: false;
  text: string;
}

const MUTES: Record<string, { ms: number; label: string }> = { [ACTIONS.mute1h]: { ms: 3_600_000, label: '1 h' }, [ACTIONS.mute24h]: { ms: 86_400_000, label: '24 h' } };

export async function answerAlertAction(deps: { store: Incidents & Mutes & AuditTrail; now?: () => number }, actionId: string, incidentId: string, userId: string): Promise<ActionAnswer | undefined> {
  const answer = (text: string): ActionAnswer => ({ response_type: 'ephemeral', replace_original: false, text });
  if (actionId === ACTIONS.runbook) return undefined; // a link: Slack opens it; nothing to answer
  const incident = await deps.store.incident(incidentId);
  if (!incident) return answer(`I have no incident ${escapeMrkdwn(incidentId)} any more (incidents are kept 90 days).`);
  const mute = MUTES[actionId];
  if (mute) {
    const now = (deps.now ?? Date.now)();
    const until = now + mute.ms;
    await deps.store.mute(muteKey(incident.cluster, incident.namespace, incident.workload), until, userId);
    // Silencing alerts changes what on-call sees: anyone in the channel may do it, and it is on the record.
    await deps.store.recordAudit({ incidentId, cluster: incident.cluster, userId, action: `mute-${mute.label.replace(' ', '')}`, target: `${incident.namespace}/${incident.workload}`, before: 'alerting', after: `muted until ${new Date(until).toISOString()}`, at: new Date(now).toISOString() });
    // The short form people type back ("deploy/checkout"); a key that is not one is shown as it is.
    const ref = WorkloadRef.fromKey(incident.workload, incident.namespace);
    const unmute = `/oom unmute ${ref ? WorkloadRef.short(ref) : incident.workload} -n ${incident.namespace}`;
    return answer(escapeMrkdwn(`Muted ${incident.workload} in ${incident.namespace} (${incident.cluster}) for ${mute.label}, until ${new Date(until).toISOString().slice(11, 16)} UTC. \`${unmute}\` undoes it.`));
  }
  if (actionId === ACTIONS.why) {
    const v = incident.verdict;
    const unseen = notSeen(v);
    const lines = [
      `*${escapeMrkdwn(v.headline)}* — ${v.cause} / ${v.kind}, confidence ${v.confidence}`,
      '*Evidence*',
      ...v.evidence.map((e) => `• ${escapeMrkdwn(e)}`),
      ...(unseen.length ? ['*Not seen*', ...unseen.map((m) => `• ${escapeMrkdwn(withoutCaller(m))}`)] : []),
      ...(v.recommendation ? [`*Recommendation:* ${escapeMrkdwn(v.recommendation.rationale)}`] : []),
    ];
    return answer(clip(lines.join('\n'), SLACK_LIMITS.sectionText));
  }
  return undefined;
}
